package main

// Store keeps orders in memory.
type Store struct {
	orders map[int]int
}

// NewStore makes an empty store.
func NewStore() *Store {
	return &Store{orders: map[int]int{}}
}

// Put records an order's total.
func (s *Store) Put(number int, totalCents int) {
	s.orders[number] = totalCents
}
