"""The async Salesforce client: the only package that speaks HTTP to Salesforce."""

from service.salesforce.client import ReadOutcome, SalesforceClient, WriteOutcome
from service.salesforce.limits import ApiUsage
from service.salesforce.tokens import StoredTokens

__all__ = ["ApiUsage", "ReadOutcome", "SalesforceClient", "StoredTokens", "WriteOutcome"]
