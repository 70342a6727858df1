import CivicLedger

/// `volunteer.post`.
public struct TaskPost: GovernancePayload {
    /// What the task is for, such as `elderly-visit`.
    public var category = ""
    /// What to do.
    public var title = ""

    public static let fields: [PayloadField<Self>] = [.text(.public, "category", \.category, maxLength: 64), .text(.public, "title", \.title)]

    /// An empty post: what the decoders fill in.
    public init() {}

    /// A task.
    public init(category: String, title: String) {
        self.category = category
        self.title = title
    }
}
