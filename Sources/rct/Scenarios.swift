import ArgumentParser
struct ChargeCommand: ParsableCommand {}; struct HoldCommand: ParsableCommand {}; struct ReserveCommand: ParsableCommand {}
