"""Identity, not labels: which account a stack is, checked against the outputs' ARNs and the caller (STS).

A stack's account is `awsAccountId` in its own stack file (Pulumi.<stack>.yaml). Before the drill or failback
changes anything:
* `--stack` must name a stack file (`--stack production` is refused, not guessed);
* every account-bearing ARN in the outputs (databases, secret, keys, alarms, the Region switch plan) must be in that
  account — outputs of another stack, mislabelled or without `environment`, are refused;
* the caller's account (STS GetCallerIdentity) must be that account;
* the stack is production when its account is the account of any prod-tier stack (settings.core.stack_tier),
  whatever `--stack` or the outputs' `environment` say — and then `--confirm-production prod` is required.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from contract.outputs import FailoverKey, Key
from ops.aws import ClientFactory
from ops.errors import InputError
from ops.outputs import StackOutputs

ARN_ACCOUNT = re.compile(r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):")

# stack name -> (awsAccountId, tier)
Accounts = Mapping[str, tuple[str, str]]


class IdentityRefused(InputError):
    """The stack, the outputs and the caller are not one account (exit 2); `str()` is one line."""


@dataclass(frozen=True)
class StackIdentity:
    stack: str
    account: str
    production: bool  # the account is a prod-tier stack's account

    @property
    def source(self) -> str:
        return f"Pulumi.{self.stack}.yaml"


def stack_accounts() -> dict[str, tuple[str, str]]:
    """Every stack file's awsAccountId and tier (read, not validated: a tool must not need the stack's secrets)."""
    from settings import PROJECT_DIR, ConfigError, load_raw
    from settings.core import stack_tier

    accounts: dict[str, tuple[str, str]] = {}
    for path in sorted(PROJECT_DIR.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        try:
            account = load_raw(stack).values.get("awsAccountId")
        except ConfigError as err:
            raise IdentityRefused(str(err)) from None
        if isinstance(account, str):
            accounts[stack] = (account, stack_tier(stack))
    return accounts


def resolve(stack: str, accounts: Accounts) -> StackIdentity:
    if stack not in accounts:
        known = ", ".join(sorted(accounts)) or "none"
        raise IdentityRefused(
            f"--stack {stack}: no Pulumi.{stack}.yaml with summit-resilience:awsAccountId (stacks: {known})"
        )
    account = accounts[stack][0]
    production = any(acct == account and tier == "prod" for acct, tier in accounts.values())
    return StackIdentity(stack, account, production)


def _arns(o: StackOutputs) -> Iterator[tuple[str, str]]:
    yield Key.DB_PRIMARY_ARN, o.primary.arn
    yield Key.DB_REPLICA_ARN, o.replica.arn
    for key, arn in (
        (Key.DB_SECRET_ARN, o.secret_arn),
        (Key.DB_KMS_KEY_ARN, o.kms_key_arn),
        (Key.DB_REPLICA_KMS_KEY_ARN, o.replica_kms_key_arn),
        (Key.REGION_SWITCH_PLAN_ARN, o.region_switch_plan_arn),
    ):
        if arn:
            yield key, arn
    for host in o.failover:
        for role, arn in (
            (FailoverKey.PRIMARY_ALARM_ARN, host.primary_alarm_arn),
            (FailoverKey.SECONDARY_ALARM_ARN, host.secondary_alarm_arn),
        ):
            if arn:
                yield f"{Key.FAILOVER}.{host.host}.{role}", arn


def check_outputs(o: StackOutputs, identity: StackIdentity) -> None:
    """Every account-bearing ARN in the outputs belongs to the stack's account."""
    for key, arn in _arns(o):
        match = ARN_ACCOUNT.match(arn)
        if match and match.group(1) != identity.account:
            raise IdentityRefused(
                f"{o.source}: {key} is in account {match.group(1)}, but stack {identity.stack} is awsAccountId "
                f"{identity.account} ({identity.source}) — these are another stack's outputs"
            )


def check_caller(factory: ClientFactory, region: str, identity: StackIdentity) -> dict[str, str]:
    """STS in `region`: the credentials must be for the stack's account. Returns {account, caller}."""
    caller = factory.client("sts", region).get_caller_identity()
    if caller["Account"] != identity.account:
        raise IdentityRefused(
            f"credentials are for account {caller['Account']} ({caller.get('Arn')}), but stack {identity.stack} is "
            f"awsAccountId {identity.account} ({identity.source})"
        )
    return {"account": str(caller["Account"]), "caller": str(caller.get("Arn"))}
