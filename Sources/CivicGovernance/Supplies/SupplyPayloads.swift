import CivicLedger

/// `supplies.in` and `supplies.out`.
public struct StockMovement: GovernancePayload {
    /// The item, such as `sandbag`.
    public var item = ""
    /// How many, at least 1.
    public var quantity: Int64 = 0
    /// Where from or what for.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [
        .i64(.public, "quantity", \.quantity), .text(.public, "item", \.item, maxLength: 64), .text(.internal, "note", \.note),
    ]

    /// No movement: what the decoders fill in.
    public init() {}

    /// A movement.
    public init(item: String, quantity: Int64, note: String) {
        self.item = item
        self.quantity = quantity
        self.note = note
    }
}
