import CivicLedger

/// Emergency supplies (应急物资) in stock, per store and item.
public struct SupplyStock: Projection, Codable, Hashable {
    public static let name = "supply-stock"
    public var lastPosition: UInt64?
    /// Quantities by store stream, then item.
    public private(set) var stock: [String: [String: Int64]] = [:]
    /// Quantities counted out, by item, over all stores.
    public private(set) var issuedOut: [String: Int64] = [:]

    /// Nothing in stock.
    public init() {}

    /// The quantity of `item` in `store`.
    public func quantity(of item: String, in store: String) -> Int64 {
        stock[GovernanceStream.supplies(store)]?[item] ?? 0
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code == .stockIn || code == .stockOut,
            let movement = try? StockMovement(entry: entry), GovernanceLimits.stockPerMovement.contains(movement.quantity)
        else { return }
        let signed = code == .stockIn ? movement.quantity : -movement.quantity
        stock[entry.stream, default: [:]][movement.item, default: 0].addClamped(signed)
        if signed < 0 { issuedOut[movement.item, default: 0].addClamped(movement.quantity) }
    }
}
