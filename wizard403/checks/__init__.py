"""Automated checks: one module per concern, a registry, an asyncio runner. The only package that uses httpx."""

from wizard403.checks.registry import REGISTRY, CheckContext, CheckSpec, all_checks, check
from wizard403.checks.runner import run_checks

__all__ = ["REGISTRY", "CheckContext", "CheckSpec", "all_checks", "check", "run_checks"]
