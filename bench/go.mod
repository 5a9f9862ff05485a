module github.com/go-pickle/pickle/bench

go 1.24

replace github.com/go-pickle/pickle => ../

require (
	github.com/fxamacker/cbor/v2 v2.10.0
	github.com/go-pickle/pickle v0.0.0-00010101000000-000000000000
	github.com/kisielk/og-rek v1.3.0
	github.com/nlpodyssey/gopickle v0.2.0
	github.com/vmihailenco/msgpack/v5 v5.4.1
)

require (
	github.com/aristanetworks/gomap v0.0.0-20230726210543-f4e41046dced // indirect
	github.com/fatih/structtag v1.2.0 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/exp v0.0.0-20230725093048-515e97ebf090 // indirect
)
