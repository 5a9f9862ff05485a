package stream_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-pickle/pickle/stream"
)

// tempDir makes a scratch directory for an example.
func tempDir() string {
	dir, err := os.MkdirTemp("", "stream-example")
	if err != nil {
		panic(err)
	}
	return dir
}

// A log of events: append records, then read them back in order, into the
// generic model or into a Go type.
func ExampleOpen() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	log, err := stream.Open(filepath.Join(dir, "events.pickle"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	for _, name := range []string{"start", "work", "stop"} {
		off, err := log.Append(map[string]any{"event": name})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("appended at offset", off)
	}
	fmt.Println("records:", log.Len())
	for rec, err := range log.Records() {
		if err != nil {
			fmt.Println(err)
			return
		}
		var ev struct {
			Event string `pickle:"event"`
		}
		if err := rec.Decode(&ev); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Offset, ev.Event)
	}
	// Output:
	// appended at offset 0
	// appended at offset 31
	// appended at offset 61
	// records: 3
	// 0 start
	// 31 work
	// 61 stop
}

// Values decodes every record into one Go type.
func ExampleValues() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	log, err := stream.Open(filepath.Join(dir, "numbers.pickle"), stream.SyncEvery(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	for i := range 4 {
		log.Append(i * i)
	}
	sum := 0
	for n, err := range stream.Values[int](log) {
		if err != nil {
			fmt.Println(err)
			return
		}
		sum += n
	}
	fmt.Println("sum of squares:", sum)
	// Output: sum of squares: 14
}

// A crash in the middle of an append leaves a torn tail. Open reports it,
// the records before it stay readable, and Repair removes it.
func ExampleRepair() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log.pickle")
	log, _ := stream.Open(path)
	log.Append("first")
	log.Append("second")
	log.Close()

	// Simulate a crash halfway through writing a third record.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00\x8c\x05th"))
	f.Close()

	_, err := stream.Open(path)
	var torn *stream.TornError
	if errors.As(err, &torn) {
		fmt.Println(err)
	}
	removed, err := stream.Repair(path)
	fmt.Println("removed", removed.Size, "bytes at offset", removed.Offset, err)

	log, err = stream.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	for v, err := range stream.Values[string](log) {
		fmt.Println(v, err)
	}
	// Output:
	// stream: torn tail: incomplete record of 15 bytes at offset 41
	// removed 15 bytes at offset 41 <nil>
	// first <nil>
	// second <nil>
}

// Save replaces a file atomically: a crash leaves the old or the new value,
// never a mix.
func ExampleSave() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.pickle")
	type config struct {
		Name    string `pickle:"name"`
		Retries int    `pickle:"retries"`
	}
	if err := stream.Save(path, config{"primary", 3}); err != nil {
		fmt.Println(err)
		return
	}
	var c config
	if err := stream.Load(path, &c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", c)
	// Output: {Name:primary Retries:3}
}

// A Store keeps key-value pairs across restarts.
func ExampleOpenStore() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, err := stream.OpenStore(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	db.Set("alice", map[string]int{"balance": 10})
	db.Set("bob", map[string]int{"balance": 20})
	db.Delete("alice")
	db.Close()

	db, err = stream.OpenStore(dir) // replays the log
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var acct map[string]int
	found, err := db.Get("bob", &acct)
	fmt.Println(found, acct["balance"], err, db.Keys())

	db.Compact() // the state becomes snapshot.pickle, the log starts empty
	fmt.Println("log records after Compact:", db.LogLen())
	// Output:
	// true 20 <nil> [bob]
	// log records after Compact: 0
}
