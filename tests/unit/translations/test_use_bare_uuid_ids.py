import uuid

import pytest

from proxy.core.ids import encode_uuid
from proxy.core.versioning import MigrationContext
from translations.changes.use_bare_uuid_ids import (
    bare_uuid,
    event_with_bare_ids,
    filter_by_prefixed_canvas,
    job_with_bare_ids,
    jobs_with_bare_ids,
)

CONTEXT = MigrationContext()
TASK_UUID = uuid.UUID("7383d5ba-e41e-4a36-9ace-cd2ec7bfc836")
CANVAS_UUID = uuid.UUID("3c8c0446-fa5b-4995-bdb9-d9c6ca41a45e")


def test_prefixed_ids_become_the_uuids_they_hold() -> None:
    job = {
        "job_id": f"task_{encode_uuid(TASK_UUID)}",
        "canvas_id": "cvs_1WHG24DYJV96AVVEESRV54392Y",
        "conversation_id": None,
        "status": "queued",
    }
    assert job_with_bare_ids(job, CONTEXT) == {
        "job_id": str(TASK_UUID),
        "canvas_id": str(CANVAS_UUID),
        "conversation_id": None,
        "status": "queued",
    }


@pytest.mark.parametrize("value", ["task_short", "remix-synthetic", None, 7])
def test_an_id_holding_no_uuid_is_left_as_written(value: object) -> None:
    assert bare_uuid(value) == value


def test_every_job_of_a_page_gets_bare_ids() -> None:
    page = {"jobs": [{"job_id": f"task_{encode_uuid(TASK_UUID)}"}], "total": 1}
    assert jobs_with_bare_ids(page, CONTEXT)["jobs"] == [{"job_id": str(TASK_UUID)}]


def test_a_page_without_a_job_list_is_refused() -> None:
    with pytest.raises(TypeError):
        jobs_with_bare_ids({"jobs": None}, CONTEXT)


def test_a_callback_job_gets_bare_ids() -> None:
    event = {"type": "job.completed", "data": {"job_id": f"task_{encode_uuid(TASK_UUID)}"}}
    assert event_with_bare_ids(event, CONTEXT)["data"] == {"job_id": str(TASK_UUID)}


def test_a_bare_canvas_filter_is_sent_prefixed() -> None:
    query = (("canvas_id", str(CANVAS_UUID)), ("status", "failed"))
    assert filter_by_prefixed_canvas(query, CONTEXT) == (
        ("canvas_id", "cvs_1WHG24DYJV96AVVEESRV54392Y"),
        ("status", "failed"),
    )
    prefixed = (("canvas_id", "cvs_1WHG24DYJV96AVVEESRV54392Y"),)
    assert filter_by_prefixed_canvas(prefixed, CONTEXT) == prefixed
