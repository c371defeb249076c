"""The read-only Cypher console over HTTP (:func:`queries.console.run_read_only`)."""

from __future__ import annotations

from fastapi import APIRouter

from relex.api.schemas import CypherOut, CypherRequest
from relex.api.state import Store
from relex.queries.console import run_read_only

router = APIRouter(prefix="/api", tags=["cypher"])


@router.post("/cypher", response_model=CypherOut)
def cypher(store: Store, body: CypherRequest) -> CypherOut:
    """Run one read-only statement: a write is refused (403) with the console's reason and the
    store is unchanged; malformed Cypher is a 400, a query past its time limit a 408."""
    result = run_read_only(
        store, body.query, body.params, timeout_s=body.timeout_s, max_rows=body.max_rows
    )
    return CypherOut(
        columns=list(result.columns),
        rows=[list(row) for row in result.rows],
        truncated=result.truncated,
        elapsed_s=result.elapsed_s,
    )
