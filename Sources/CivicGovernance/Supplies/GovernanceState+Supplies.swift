import CivicLedger

extension GovernanceState {
    // MARK: Supplies

    func checkSupplies(_ context: Context) throws(LedgerError) {
        let store = try context.subject("supplies")
        guard context.kind == GovernanceKind.stockIn || context.kind == GovernanceKind.stockOut else {
            throw context.error(.domainRule, "\(context.kind) is not a supplies kind")
        }
        let movement = try context.decode(StockMovement.self)
        guard movement.quantity > 0 else { throw context.error(.domainRule, "a quantity is at least 1") }
        try context.within("quantity", movement.quantity, GovernanceLimits.stockPerMovement)
        try context.needText(movement.item, "an item")
        if context.kind == GovernanceKind.stockOut {
            let stock = supplies.quantity(of: movement.item, in: store)
            guard stock >= movement.quantity else {
                throw context.error(.insufficient, "store \(store) holds \(stock) \(movement.item); \(movement.quantity) cannot go out")
            }
        } else {
            let stock = supplies.quantity(of: movement.item, in: store)
            guard stock.clampedAdding(movement.quantity) <= GovernanceLimits.stockHeld else {
                throw context.error(
                    .domainRule,
                    "store \(store) holds \(stock) \(movement.item); \(movement.quantity) more would pass the most a store holds, \(GovernanceLimits.stockHeld) (docs/format.md §10.1)"
                )
            }
        }
    }
}
