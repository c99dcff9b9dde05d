"""openapi.yaml is a valid OpenAPI 3.1 document (the Swift suite checks it matches the router)."""
from pathlib import Path

import yaml
from openapi_spec_validator import validate

REPO = Path(__file__).resolve().parents[2]


def test_openapi_document_is_valid():
    document = yaml.safe_load((REPO / "openapi.yaml").read_text())
    validate(document)


def test_every_operation_documents_its_responses():
    document = yaml.safe_load((REPO / "openapi.yaml").read_text())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue  # path-level keys such as shared `parameters`
            assert operation.get("responses"), f"{method.upper()} {path} has no responses"
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
