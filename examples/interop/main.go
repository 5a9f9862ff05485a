// Command interop shows Go and Python exchanging pickles.
//
// Go marshals a struct (nested fields, a list, a dict, bytes and an int too
// big for int64) at protocol 4 and runs python3, which loads it with
// pickle.loads, prints its repr, changes it and pickles it back at protocol
// 2. Go then decodes Python's answer, both into the same struct type and
// into the generic model, and prints it.
//
// Without python3 it says so and decodes instead testdata/from_python.pkl,
// which python3 wrote with testdata/gen.py, so the command still shows the
// decoding half. Run it from the repository root:
//
//	go run ./examples/interop
//
// It exits with status 1 on any failure.
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-pickle/pickle"
)

// Address is nested inside Person.
type Address struct {
	Street string `pickle:"street"`
	City   string `pickle:"city"`
}

// Person is the value Go sends. In Python it is a dict whose keys are the
// tag names.
type Person struct {
	Name    string             `pickle:"name"`
	Age     int                `pickle:"age"`
	Address Address            `pickle:"address"`
	Tags    []string           `pickle:"tags"`
	Scores  map[string]float64 `pickle:"scores"`
	Avatar  []byte             `pickle:"avatar"`
	Balance *big.Int           `pickle:"balance"`
}

// pythonScript loads the pickle in argv[1], prints its repr, changes it and
// writes it back at protocol 2 to argv[2]. testdata/gen.py applies the same
// change to the same value.
const pythonScript = `
import pickle, sys
with open(sys.argv[1], 'rb') as f:
    data = f.read()
obj = pickle.loads(data)
print('python: loaded protocol', data[1], 'pickle:', repr(obj))
obj['age'] += 1
obj['tags'].append('python')
obj['scores']['python'] = 3.5
obj['avatar'] = obj['avatar'] + b'\xff\x00'
obj['balance'] *= 1000
obj['address']['city'] = obj['address']['city'].upper()
with open(sys.argv[2], 'wb') as f:
    f.write(pickle.dumps(obj, protocol=2))
print('python: answered with protocol 2:', repr(obj))
`

//go:embed testdata/from_python.pkl
var fromPython []byte

func main() {
	python, err := exec.LookPath("python3")
	if err != nil {
		python = ""
	}
	if err := run(os.Stdout, python); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
}

// sample returns the value Go sends.
func sample() Person {
	balance, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	return Person{
		Name:    "Ada Lovelace",
		Age:     36,
		Address: Address{Street: "12 St James's Square", City: "London"},
		Tags:    []string{"mathematician", "writer"},
		Scores:  map[string]float64{"analysis": 9.5, "poetry": 7.25},
		Avatar:  []byte{0x89, 'P', 'N', 'G'},
		Balance: balance,
	}
}

// run does the exchange with the python3 at path python, or decodes the
// committed pickle when python is "".
func run(w io.Writer, python string) error {
	var answer []byte
	if python == "" {
		fmt.Fprintln(w, "note: python3 not found; decoding testdata/from_python.pkl, which python3 wrote with testdata/gen.py")
		answer = fromPython
	} else {
		var err error
		if answer, err = exchange(w, python, sample()); err != nil {
			return err
		}
	}
	return decodeAnswer(w, answer)
}

// exchange marshals p, has python3 change it and returns Python's pickle.
func exchange(w io.Writer, python string, p Person) ([]byte, error) {
	data, err := pickle.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	fmt.Fprintf(w, "go: sending %d bytes at protocol %d: %s\n", len(data), pickle.DefaultProtocol, show(p))

	dir, err := os.MkdirTemp("", "pickle-interop-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "from_go.pkl"), filepath.Join(dir, "from_python.pkl")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(python, "-c", pythonScript, in, out)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("python3: %w\n%s", err, stderr.String())
	}
	return os.ReadFile(out)
}

// decodeAnswer decodes Python's pickle into a Person and into `any`.
func decodeAnswer(w io.Writer, answer []byte) error {
	if len(answer) < 2 || answer[0] != 0x80 {
		return errors.New("the answer does not start with a PROTO opcode")
	}
	var p Person
	if err := pickle.Unmarshal(answer, &p); err != nil {
		return fmt.Errorf("unmarshal into Person: %w", err)
	}
	fmt.Fprintf(w, "go: received %d bytes at protocol %d: %s\n", len(answer), answer[1], show(p))

	var v any
	if err := pickle.Unmarshal(answer, &v); err != nil {
		return fmt.Errorf("unmarshal into any: %w", err)
	}
	d, ok := v.(*pickle.Dict)
	if !ok {
		return fmt.Errorf("decoded a %T, want *pickle.Dict", v)
	}
	fmt.Fprintln(w, "go: the same pickle as generic values:")
	for k, x := range d.All() {
		fmt.Fprintf(w, "    %v: %s\n", k, describe(x))
	}
	return nil
}

// describe renders a generic value: its Go type, and its value if scalar.
func describe(x any) string {
	switch x := x.(type) {
	case *pickle.List:
		return fmt.Sprintf("%T of %d items", x, x.Len())
	case *pickle.Dict:
		return fmt.Sprintf("%T of %d items", x, x.Len())
	case []byte:
		return fmt.Sprintf("%T %q", x, x)
	}
	return fmt.Sprintf("%T %v", x, x)
}

// show renders a Person on one line, with its maps in sorted key order.
func show(p Person) string {
	var s strings.Builder
	fmt.Fprintf(&s, "{Name:%q Age:%d Address:%+v Tags:%q Scores:%v Avatar:%q Balance:%v}",
		p.Name, p.Age, p.Address, p.Tags, p.Scores, p.Avatar, p.Balance)
	return s.String()
}
