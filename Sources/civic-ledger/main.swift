print("civic-ledger")
