module github.com/go-pickle/pickle

go 1.24

require (
	github.com/fatih/structtag v1.2.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
)
