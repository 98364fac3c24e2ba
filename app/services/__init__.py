"""Use cases: one transaction each (check rights and perimeter → apply the rule → audit + notifications
→ commit). They raise DomainError subclasses with French messages; views flash them, the API returns them."""
