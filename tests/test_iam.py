import json

from components.iam import service_trust


def test_a_service_trust_lets_only_that_service_assume_the_role():
    assert json.loads(service_trust("lambda.amazonaws.com")) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }


def test_confused_deputy_conditions_are_carried_on_the_statement():
    (statement,) = json.loads(
        service_trust("fis.amazonaws.com", {"StringEquals": {"aws:SourceAccount": "123456789012"}})
    )["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
