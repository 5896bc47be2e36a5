package main

import (
	"fmt"
	"net/http"
)

// OrderHandler answers order requests.
type OrderHandler struct {
	store *Store
}

// ServeHTTP stores a fixed order and says so.
func (h *OrderHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.store.Put(1, 1999)
	fmt.Fprintln(w, "stored")
}

func main() {
	handler := &OrderHandler{store: NewStore()}
	http.ListenAndServe(":8080", handler)
}
