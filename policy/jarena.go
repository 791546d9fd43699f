package policy

// arena hands out slices carved from reusable chunks, so that a parser
// reused line after line (Simulator) allocates its JSON tree once rather
// than per line. reset makes every chunk available again: slices handed out
// before it must no longer be used.
type arena[T any] struct {
	chunks [][]T
	next   int // index in chunks of the chunk after cur
	cur    []T
}

// arenaChunk is the size of a chunk in elements.
const arenaChunk = 256

// alloc returns a slice of n elements (len == cap == n) whose contents are
// unspecified: the caller overwrites every element.
func (a *arena[T]) alloc(n int) []T {
	if n > cap(a.cur)-len(a.cur) {
		if n > arenaChunk {
			return make([]T, n)
		}
		if a.next < len(a.chunks) {
			a.cur = a.chunks[a.next][:0]
		} else {
			a.cur = make([]T, 0, arenaChunk)
			a.chunks = append(a.chunks, a.cur)
		}
		a.next++
	}
	s := a.cur[len(a.cur) : len(a.cur)+n : len(a.cur)+n]
	a.cur = a.cur[:len(a.cur)+n]
	return s
}

// reset makes all chunks available again.
func (a *arena[T]) reset() {
	a.next, a.cur = 0, nil
}
