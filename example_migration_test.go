package pickle_test

import (
	"fmt"
	"math"
	"os"

	"github.com/go-pickle/pickle"
)

// Order is version 2 of a record that Python code has pickled for years as
// instances of shop.Order. Version 1 had one item and a float price in
// dollars; version 2 has a list of items, the price in cents, and a version
// attribute.
type Order struct {
	ID         int      `pickle:"id"`
	Items      []string `pickle:"items"`
	PriceCents int64    `pickle:"price_cents"`
	Version    int      `pickle:"version"`
}

// SetState receives the pickled instance's state (its __dict__) and migrates
// version 1 records on the fly.
func (o *Order) SetState(s pickle.State) error {
	if _, ok := s.Get("version"); ok {
		return s.DecodeFields(o) // current layout: fill the fields as usual
	}
	var v1 struct {
		ID    int     `pickle:"id"`
		Item  string  `pickle:"item"`
		Price float64 `pickle:"price"`
	}
	if err := s.Decode(&v1); err != nil {
		return err
	}
	*o = Order{ID: v1.ID, Items: []string{v1.Item}, PriceCents: int64(math.Round(v1.Price * 100)), Version: 2}
	return nil
}

// Python wrote testdata/migration/orders.pkl over the years with repeated
// pickle.dump: two v1 records, then a v2 one (see gen_records.py there). The
// Go v2 type reads them all.
func Example_migration() {
	reg := pickle.NewRegistry()
	if err := reg.RegisterClass("shop", "Order", &Order{}); err != nil {
		panic(err)
	}
	f, err := os.Open("testdata/migration/orders.pkl")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	dec := pickle.NewDecoder(f, pickle.WithRegistry(reg))
	for dec.More() {
		var o Order
		if err := dec.Decode(&o); err != nil {
			panic(err)
		}
		fmt.Printf("%+v\n", o)
	}
	// Output:
	// {ID:1 Items:[teapot] PriceCents:1999 Version:2}
	// {ID:2 Items:[kettle] PriceCents:550 Version:2}
	// {ID:3 Items:[cup saucer] PriceCents:1250 Version:2}
}
