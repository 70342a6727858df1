enum CivicLedgerTestingPlaceholder {}
