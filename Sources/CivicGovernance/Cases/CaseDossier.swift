import CivicLedger

/// Everything that happened to each case, in order, with who signed each
/// step: what a supervisor opens first. Each step's words (its note,
/// reason or summary) are in its entry: ``note(of:)`` reads them.
///
/// The steps are kept as parallel arrays in log order (position, kind
/// code, actor number, time, case number: 25 bytes a step, each case's
/// steps chained by a fourth array), the cases numbered by a
/// `StreamIndex` and the actors by first appearance: folding a step
/// appends to arrays and allocates nothing once they have grown, and a
/// million steps take about 30 MB instead of the 80 MB of one array of
/// ``Step`` values per case.
public struct CaseDossier: Projection, Codable, Hashable {
    public static let name = "case-dossier"
    public var lastPosition: UInt64?

    /// One step of a case.
    public struct Step: Codable, Hashable, Sendable {
        /// The entry's log position.
        public var position: UInt64
        /// The event kind.
        public var kind: String
        /// Who signed it.
        public var actor: PublicKey
        /// When the ledger recorded it.
        public var recordedAt: Timestamp

        /// A step of `kind` at `position`, signed by `actor`.
        public init(position: UInt64, kind: String, actor: PublicKey, recordedAt: Timestamp) {
            self.position = position
            self.kind = kind
            self.actor = actor
            self.recordedAt = recordedAt
        }
    }

    /// The case streams, numbered in the order of their first step.
    private var index = StreamIndex()
    /// Each case's first and last step (`none` before its first).
    private var firstStep: [UInt32] = []
    private var lastStep: [UInt32] = []
    /// The steps, in log order.
    private var positions: [UInt64] = []
    private var codes: [GovernanceKind.Code] = []
    private var actorNumbers: [UInt32] = []
    private var times: [Int64] = []
    private var caseNumbers: [UInt32] = []
    /// The next step of the same case (`none` for its last).
    private var nextStep: [UInt32] = []
    /// The signers, numbered in the order of their first step.
    private var actors: [PublicKey] = []
    private var actorIndex: [PublicKey: UInt32] = [:]

    private static let none = UInt32.max

    /// No cases.
    public init() {}

    /// How many steps it holds.
    public var stepCount: Int { positions.count }

    /// The case streams, in the order of their first step.
    public var streams: [String] { index.names }

    /// Steps by case stream (built on each call: for reports, not hot paths).
    public var cases: [String: [Step]] {
        Dictionary(uniqueKeysWithValues: index.names.enumerated().map { ($0.element, steps(ofCase: $0.offset)) })
    }

    /// The steps of `stream`.
    public subscript(stream: String) -> [Step] {
        index.number(of: stream).map { steps(ofCase: $0) } ?? []
    }

    private func steps(ofCase number: Int) -> [Step] {
        var result: [Step] = []
        var step = firstStep[number]
        while step != Self.none {
            let at = Int(step)
            result.append(
                Step(
                    position: positions[at], kind: codes[at].kind, actor: actors[Int(actorNumbers[at])],
                    recordedAt: Timestamp(millisecondsSinceEpoch: times[at])))
            step = nextStep[at]
        }
        return result
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code.isCaseStep else { return }
        // A dossier of four billion steps is not kept (nor could it be held).
        guard positions.count < Int(Self.none), let actorNumber = self.number(ofActor: entry.actorKey) else { return }
        let number: Int
        if let known = index.number(ofStreamOf: entry) {
            number = known
        } else {
            number = index.insert(streamOf: entry).number
            firstStep.append(Self.none)
            lastStep.append(Self.none)
        }
        append(case: number, position: entry.position, code: code, actor: actorNumber, time: entry.recordedAt.millisecondsSinceEpoch)
    }

    /// The number of `actor`, given on first sight; `nil` past four
    /// billion actors.
    private mutating func number(ofActor actor: PublicKey) -> UInt32? {
        if let known = actorIndex[actor] { return known }
        guard actors.count < Int(Self.none) else { return nil }
        let number = UInt32(actors.count)
        actors.append(actor)
        actorIndex[actor] = number
        return number
    }

    /// Appends a step to case `number`'s chain.
    private mutating func append(case number: Int, position: UInt64, code: GovernanceKind.Code, actor: UInt32, time: Int64) {
        let step = UInt32(positions.count)
        positions.append(position)
        codes.append(code)
        actorNumbers.append(actor)
        times.append(time)
        caseNumbers.append(UInt32(number))
        nextStep.append(Self.none)
        if lastStep[number] == Self.none {
            firstStep[number] = step
        } else {
            nextStep[Int(lastStep[number])] = step
        }
        lastStep[number] = step
    }

    // The snapshot form: the streams, the actors, and per step its case
    // number, position, kind code, actor number and time, flat.
    private enum CodingKeys: String, CodingKey {
        case lastPosition, streams, actors, steps
        /// The form before the arrays (issue 18): steps by case stream.
        case cases
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(lastPosition, forKey: .lastPosition)
        try container.encode(index.names, forKey: .streams)
        try container.encode(actors, forKey: .actors)
        var steps = container.nestedUnkeyedContainer(forKey: .steps)
        for at in positions.indices {
            try steps.encode(caseNumbers[at])
            try steps.encode(positions[at])
            try steps.encode(codes[at].rawValue)
            try steps.encode(actorNumbers[at])
            try steps.encode(times[at])
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastPosition = try container.decodeIfPresent(UInt64.self, forKey: .lastPosition)
        func corrupted(_ message: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "case dossier: \(message)"))
        }
        if let old = try container.decodeIfPresent([String: [Step]].self, forKey: .cases) {
            // Steps by stream: replayed in log order.
            var all: [(stream: String, step: Step)] = []
            for (stream, steps) in old { all += steps.map { (stream, $0) } }
            all.sort { $0.step.position < $1.step.position }
            for (stream, step) in all {
                guard let code = GovernanceKind.code(of: step.kind), code.isCaseStep else { throw corrupted("\(step.kind) is not a case step") }
                let number = index.number(of: stream) ?? index.insert(stream).number
                if number == firstStep.count {
                    firstStep.append(Self.none)
                    lastStep.append(Self.none)
                }
                guard positions.count < Int(Self.none), let actor = self.number(ofActor: step.actor) else {
                    throw corrupted("more steps or actors than a dossier holds")
                }
                append(case: number, position: step.position, code: code, actor: actor, time: step.recordedAt.millisecondsSinceEpoch)
            }
            return
        }
        index = try container.decode(StreamIndex.self, forKey: .streams)
        firstStep = Array(repeating: Self.none, count: index.count)
        lastStep = firstStep
        actors = try container.decode([PublicKey].self, forKey: .actors)
        for (number, actor) in actors.enumerated() {
            guard actorIndex.updateValue(UInt32(truncatingIfNeeded: number), forKey: actor) == nil else { throw corrupted("an actor listed twice") }
        }
        var steps = try container.nestedUnkeyedContainer(forKey: .steps)
        while !steps.isAtEnd {
            let number = try steps.decode(UInt32.self)
            let position = try steps.decode(UInt64.self)
            let code = try steps.decode(UInt8.self)
            let actor = try steps.decode(UInt32.self)
            let time = try steps.decode(Int64.self)
            guard Int(number) < index.count, Int(actor) < actors.count, let kind = GovernanceKind.Code(rawValue: code), kind.isCaseStep,
                positions.last.map({ $0 < position }) ?? true, positions.count < Int(Self.none)
            else {
                throw corrupted("step \(positions.count) names case \(number), actor \(actor), kind \(code) at position \(position)")
            }
            append(case: Int(number), position: position, code: kind, actor: actor, time: time)
        }
    }

    /// A readable summary of a case step's payload.
    public static func note(of entry: LedgerEntry) -> String {
        switch entry.kind {
        case GovernanceKind.report:
            return (try? CaseReport(entry: entry)).map {
                "\($0.urgency.rawValue) \($0.category) (\($0.source.rawValue)): \($0.summary)"
            } ?? ""
        case GovernanceKind.dispatch:
            return (try? CaseDispatch(entry: entry)).map { "to \($0.department), \($0.deadlineMinutes) minutes" } ?? ""
        case GovernanceKind.approve:
            return (try? CaseApproval(entry: entry)).map { ($0.skipsReview ? "emergency: no second review. " : "") + $0.note } ?? ""
        case GovernanceKind.progress:
            return (try? CaseProgress(entry: entry)).map { "\($0.percent)%: \($0.note)" } ?? ""
        case GovernanceKind.extend:
            return (try? CaseExtension(entry: entry)).map { "+\($0.minutes) minutes: \($0.reason)" } ?? ""
        case GovernanceKind.verify:
            return (try? CaseVerification(entry: entry)).map { ($0.passed ? "passed: " : "failed: ") + $0.note } ?? ""
        case GovernanceKind.rate:
            return (try? CaseRating(entry: entry)).map {
                "\($0.rating.rawValue)\($0.controllable ? " (controllable)" : ""): \($0.comment)"
            } ?? ""
        default:
            return (try? CaseNote(entry: entry))?.note ?? ""
        }
    }
}
