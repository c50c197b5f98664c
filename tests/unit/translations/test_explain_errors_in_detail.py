from proxy.core.versioning import MigrationContext
from translations.changes.explain_errors_in_detail import add_detail

CONTEXT = MigrationContext()


def test_detail_repeats_the_message() -> None:
    body = {"error": {"code": "not_found", "message": "Task not found."}}
    assert add_detail(body, CONTEXT)["detail"] == "Task not found."
    assert body["error"] == {"code": "not_found", "message": "Task not found."}


def test_detail_names_the_fields_a_validation_error_lists() -> None:
    error = {
        "message": "The request is invalid.",
        "details": {
            "fields": [
                {"field": "body.prompt", "message": "Field required"},
                {"field": "body.canvas_id", "code": "string_too_short"},
                {"field": "body.x"},
                "not a field",
            ]
        },
    }
    assert add_detail({"error": error}, CONTEXT)["detail"] == (
        "The request is invalid. (body.prompt: Field required; "
        "body.canvas_id: string_too_short; body.x)"
    )


def test_an_error_without_a_message_still_reads_as_a_sentence() -> None:
    assert add_detail({"error": {"details": None}}, CONTEXT)["detail"] == "The request failed."


def test_a_body_that_is_not_the_envelope_or_has_detail_is_left_alone() -> None:
    assert add_detail({"message": "x"}, CONTEXT) == {"message": "x"}
    assert add_detail({"error": {"message": "m"}, "detail": "d"}, CONTEXT)["detail"] == "d"
