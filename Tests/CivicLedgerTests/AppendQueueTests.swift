import PropertyBased
import Testing

@testable import CivicLedger

/// The commit loop's queue on its own: who starts the loop, batch sizes,
/// arrival order, going idle.
@Suite("AppendQueue: the commit loop's queue")
struct AppendQueueTests {
    @Test("the first request starts the loop and the rest join it; batches keep arrival order, fill up to the limit, and the queue goes idle when empty")
    func batches() {
        var queue = AppendQueue<(id: Int, size: Int)>()
        let starts = [(0, 3), (1, 4), (2, 1), (3, 20)].map { request in queue.enqueue(request, entries: request.1) }
        // The first request starts the commit loop; the others join it.
        #expect(starts == [true, false, false, false])
        #expect(queue.state == .committing)
        // Up to 8 entries: 3 + 4 + 1; the 20-entry request waits.
        let first = queue.nextBatch(maximumEntries: 8, entries: \.size)
        #expect(first?.map(\.id) == [0, 1, 2])
        // A request larger than the limit still goes, alone.
        let second = queue.nextBatch(maximumEntries: 8, entries: \.size)
        #expect(second?.map(\.id) == [3])
        let third = queue.nextBatch(maximumEntries: 8, entries: \.size)
        #expect(third == nil)
        #expect(queue.state == .idle)
        let restarts = queue.enqueue((4, 1), entries: 1)
        #expect(restarts, "idle again: the next request starts the loop")
    }

    @Test("for any arrivals and limit: every request is taken once, in order, and no batch exceeds the limit unless it holds one request")
    func anyArrivals() async {
        await propertyCheck(input: Gen.int(in: 1...50).array(of: 0...60), Gen.int(in: 1...64)) { sizes, limit in
            var queue = AppendQueue<(id: Int, size: Int)>()
            var starts = 0
            for (id, size) in sizes.enumerated() where queue.enqueue((id, size), entries: size) { starts += 1 }
            #expect(starts == (sizes.isEmpty ? 0 : 1))
            var taken: [Int] = []
            while let batch = queue.nextBatch(maximumEntries: limit, entries: \.size) {
                #expect(!batch.isEmpty)
                #expect(batch.count == 1 || batch.map(\.size).reduce(0, +) <= limit)
                taken += batch.map(\.id)
            }
            #expect(taken == Array(sizes.indices))
            #expect(queue.state == .idle)
        }
    }
}
