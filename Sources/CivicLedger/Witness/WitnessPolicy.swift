/// Which checkpoints to believe: the logs that may sign them, the
/// witnesses that may cosign them, and how many cosignatures make a
/// quorum. The text form is C2SP tlog-policy:
///
/// ```text
/// log civic-ledger.example/zhuji/dongsheng+b33089a0+AZH1…
/// witness street  witness.zhuji.example/street+1c2d3e4f+BLk…
/// witness bureau  supervision.zhuji.example/w1+9a8b7c6d+BDr…
/// witness library witness.library.example/w1+5e6f7a8b+BCq…
/// group two-of-three 2 street bureau library
/// quorum two-of-three
/// ```
///
/// A checkpoint meets the policy when a listed log named by its origin
/// signed it and the quorum's witnesses (or groups: `all`, `any` or a
/// number of their members) cosigned it. Two checkpoints of one size with
/// different roots (a split view) cannot both meet a quorum of honest
/// witnesses: each witness cosigns one history per origin.
public struct WitnessPolicy: Hashable, Sendable {
    /// A rule of the quorum.
    public indirect enum Rule: Hashable, Sendable {
        /// No cosignature is required (`quorum none`).
        case none
        /// The named witness must have cosigned.
        case witness(String)
        /// At least `threshold` of `members` must be met.
        case group(name: String, threshold: Int, members: [Rule])
    }

    /// The logs (their origins' note keys) whose checkpoints are accepted;
    /// empty when the log is known from elsewhere.
    public var logs: [NoteKey]
    /// The witnesses, by the names the policy gives them.
    public var witnesses: [String: CosignerKey]
    /// The quorum.
    public var quorum: Rule
    /// The submission URLs the policy gives its witnesses (the optional
    /// last word of a `witness` line), by name: where a log's
    /// ``CosignatureCollector`` sends checkpoints. Verifiers ignore them.
    public var urls: [String: String]

    /// A policy of these parts.
    public init(logs: [NoteKey], witnesses: [String: CosignerKey], quorum: Rule, urls: [String: String] = [:]) {
        self.logs = logs
        self.witnesses = witnesses
        self.quorum = quorum
        self.urls = urls
    }

    /// At most this many logs, witnesses and groups each (C2SP
    /// tlog-policy recommends supporting at least 32).
    public static let maximumEntries = 256

    /// Parses the C2SP tlog-policy text form.
    ///
    /// - Throws: ``LedgerError`` `.invalidField`, naming the line.
    public init(parsing text: String) throws(LedgerError) {
        var logs: [NoteKey] = []
        var witnesses: [String: CosignerKey] = [:]
        var urls: [String: String] = [:]
        var rules: [String: Rule] = ["none": Rule.none]
        var groups = 0
        var used: Set<String> = []
        var quorum: Rule?
        var keys: Set<PublicKey> = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ message: String) -> LedgerError {
                LedgerError(.invalidField, "policy line \(number): \(message)")
            }
            guard !raw.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7f }) else {
                throw fail("a control character other than a tab")
            }
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first, !keyword.hasPrefix("#") else { continue }
            switch keyword {
            case "log":
                guard words.count == 2 || words.count == 3 else { throw fail("log <vkey> [<url>]") }
                let key: NoteKey
                do throws(LedgerError) { key = try NoteKey(verifierKey: words[1]) } catch { throw fail(error.message) }
                guard keys.insert(key.publicKey).inserted else { throw fail("a key listed twice") }
                logs.append(key)
            case "witness":
                guard words.count == 3 || words.count == 4 else { throw fail("witness <name> <vkey> [<url>]") }
                guard rules[words[1]] == nil else { throw fail("the name \(words[1]) is defined already") }
                let key: CosignerKey
                do throws(LedgerError) { key = try CosignerKey(verifierKey: words[2]) } catch { throw fail(error.message) }
                guard keys.insert(key.publicKey).inserted else { throw fail("a key listed twice") }
                witnesses[words[1]] = key
                if words.count == 4 { urls[words[1]] = words[3] }
                rules[words[1]] = .witness(words[1])
            case "group":
                guard words.count >= 4 else { throw fail("group <name> all|any|<k> <name>…") }
                let name = words[1]
                guard rules[name] == nil else { throw fail("the name \(name) is defined already") }
                var members: [Rule] = []
                for member in words[3...] {
                    guard member != "none", let rule = rules[member] else { throw fail("\(member) is not a witness or group defined above") }
                    guard used.insert(member).inserted else { throw fail("\(member) is a member of a group already") }
                    members.append(rule)
                }
                let threshold: Int
                switch words[2] {
                case "all": threshold = members.count
                case "any": threshold = 1
                default:
                    guard let k = Int(words[2]), String(k) == words[2], k >= 1, k <= members.count else {
                        throw fail("the threshold \(words[2]) is not all, any or 1 to \(members.count)")
                    }
                    threshold = k
                }
                groups += 1
                rules[name] = .group(name: name, threshold: threshold, members: members)
            case "quorum":
                guard words.count == 2 else { throw fail("quorum <name>") }
                guard quorum == nil else { throw fail("a second quorum line") }
                guard let rule = rules[words[1]] else { throw fail("\(words[1]) is not a witness or group defined above") }
                quorum = rule
            default:
                throw fail("\(keyword) is not log, witness, group or quorum")
            }
            guard logs.count <= Self.maximumEntries, witnesses.count <= Self.maximumEntries, groups <= Self.maximumEntries else {
                throw fail("more than \(Self.maximumEntries) logs, witnesses or groups")
            }
        }
        guard let quorum else { throw LedgerError(.invalidField, "the policy has no quorum line") }
        self.init(logs: logs, witnesses: witnesses, quorum: quorum, urls: urls)
    }

    /// Checks that `checkpoint` meets the policy: signed by a listed log
    /// named by its origin (or by `logKey`, when the log is known from
    /// elsewhere), and cosigned to quorum.
    ///
    /// - Returns: the policy's names of the witnesses whose cosignatures
    ///   verified, sorted.
    /// - Throws: ``LedgerError`` `.invalidCheckpoint`, saying which
    ///   signature is missing or which witnesses cosigned.
    @discardableResult
    public func check(_ checkpoint: SignedCheckpoint, logKey: PublicKey? = nil) throws(LedgerError) -> [String] {
        let origin = checkpoint.checkpoint.origin
        if let logKey { try checkpoint.verify(logKey: logKey) }
        if !logs.isEmpty {
            let named = logs.filter { $0.name == origin }
            guard !named.isEmpty else { throw LedgerError(.invalidCheckpoint, "the policy lists no log for origin \(origin)") }
            guard named.contains(where: { (try? $0.verify(checkpoint.note)) != nil }) else {
                throw LedgerError(.invalidCheckpoint, "the checkpoint is not signed by a log key the policy lists for \(origin)")
            }
        } else if logKey == nil {
            throw LedgerError(.invalidCheckpoint, "the policy lists no log: give the log key to check the checkpoint's signature")
        }
        var cosigned: Set<String> = []
        for (name, key) in witnesses where try key.cosignatureTime(on: checkpoint.note) != nil {
            cosigned.insert(name)
        }
        let names = cosigned.sorted()
        guard Self.met(quorum, by: cosigned) else {
            throw LedgerError(
                .invalidCheckpoint,
                "the checkpoint of \(origin) at size \(checkpoint.checkpoint.size) does not meet the witness quorum: cosigned by \(names.isEmpty ? "no witness" : names.joined(separator: ", "))"
            )
        }
        return names
    }

    /// The policy's names of the witnesses whose cosignatures on
    /// `checkpoint` verify, sorted (a malformed line counts as none).
    public func cosigners(of checkpoint: SignedCheckpoint) -> [String] {
        witnesses.filter { $0.value.hasCosigned(checkpoint.note) }.map(\.key).sorted()
    }

    static func met(_ rule: Rule, by cosigned: Set<String>) -> Bool {
        switch rule {
        case .none: return true
        case .witness(let name): return cosigned.contains(name)
        case .group(_, let threshold, let members): return members.filter { met($0, by: cosigned) }.count >= threshold
        }
    }
}
