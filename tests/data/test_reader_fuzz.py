"""Property: whatever bytes a file holds, every reader yields only Paper or Rejected."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abstract_search.data.corpus import FORMATS, read_corpus
from abstract_search.data.paper import Paper, Rejected

JSONISH = st.lists(
    st.sampled_from([
        b'{"id": "1", "abstract": "a"}', b'{"abstract": 3}', b'{"title": "t", "abstract": "x", "authors": {}}',
        b"[", b"\xff\xfe", b"\xef\xbb\xbf", b"", b"id,abstract", b"1,a", b'"', b"CLJan 5, 2020",
        b"CLFeb 31", b"Title", b"A \xc2\xb7 b", b'{"_id": 1, "text": "t"}', b'{"versions": [1]}',
    ]),
    max_size=12,
).map(b"\n".join)
CONTENT = st.one_of(
    st.binary(max_size=400),
    JSONISH,
    JSONISH.map(gzip.compress),
    st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b),
    JSONISH.map(lambda b: gzip.compress(b)[:-5]),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=CONTENT)
def test_any_bytes_never_raise(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "input.bin"
    path.write_bytes(content)
    for fmt in FORMATS:
        for record in read_corpus(path, fmt):
            assert isinstance(record, (Paper, Rejected))
            if isinstance(record, Rejected):
                assert record.source == "input.bin" and record.line >= 1 and record.reason
            else:
                assert record.abstract and record.id
