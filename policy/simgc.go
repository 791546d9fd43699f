package policy

// SimulateGCPercent is the GOGC setting of `bucketaudit simulate` (and of
// BenchmarkSimulateLines, which measures it).
const SimulateGCPercent = simulateGCPercent

const simulateGCPercent = 400
