import NIOHTTP1
import Testing
@testable import RCTServe

@Suite("The HTTP status of a command from the page")
struct CommandStatusTests {
    @Test("A command's HTTP status: 403 read-only, 502 failed, 200 with the outcome in the body otherwise")
    func commandStatus() {
        let readOnly = CommandResult(command: "set soc_min", outcome: "refused", reason: "rct serve is read-only; start it with --allow-writes to take commands")
        #expect(WebHandler.status(of: readOnly) == .forbidden)
        #expect(WebHandler.status(of: CommandResult(command: "set soc_min", outcome: "refused", reason: "got 300")) == .ok)
        #expect(WebHandler.status(of: CommandResult(command: "set soc_min", outcome: "failed", reason: "no answer")) == .badGateway)
        #expect(WebHandler.status(of: CommandResult(command: "hold", outcome: "started")) == .ok)
    }
}
