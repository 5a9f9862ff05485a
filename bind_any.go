package pickle

import (
	"reflect"
)

// The second pass of decoding, for `any` targets: the tape becomes the
// generic model (value.go). Every node that the pickle shares (memoized or
// duplicated) is built once and reused, so shared references stay shared
// and cycles close on themselves.

// binder holds the state of the second pass.
type binder struct {
	m   *machine
	cfg *config

	cache []cacheEntry // what shared nodes were bound to (node.slot - 1)

	typed map[typedKey]reflect.Value // typed values of shared nodes

	depth   int
	work    int64
	maxWork int64
	path    []pathElem // where in the Go value we are, for error messages

	hasher keyHasher // hashes of the tuples used as keys, by backing array
}

func newBinder(m *machine) *binder {
	b := &binder{m: m, cfg: m.cfg}
	b.maxWork = m.cfg.maxWork
	if b.maxWork == 0 {
		b.maxWork = 16*int64(len(m.nodes)) + 1_000_000
	}
	return b
}

// enter counts one step of work and one level of depth at node n.
func (b *binder) enter(n int32) error {
	b.work++
	if b.work > b.maxWork {
		return b.limitAt(n, "MaxWork", b.maxWork, b.work)
	}
	b.depth++
	if b.depth > b.cfg.maxDepth {
		return b.limitAt(n, "MaxDepth", int64(b.cfg.maxDepth), int64(b.depth))
	}
	return nil
}

func (b *binder) leave() { b.depth-- }

func (b *binder) limitAt(n int32, limit string, max, tried int64) error {
	nd := &b.m.nodes[n]
	return &LimitError{Limit: limit, Max: max, Tried: tried, Op: opName(nd.op), Offset: b.m.base + nd.off}
}

func (b *binder) syntaxAt(n int32, msg string, cause error) error {
	nd := &b.m.nodes[n]
	return &SyntaxError{Msg: msg, Op: opName(nd.op), Offset: b.m.base + nd.off, Err: cause}
}

// anyValue returns the model value of node n.
func (b *binder) anyValue(n int32) (any, error) {
	n = b.m.resolve(n)
	nd := &b.m.nodes[n]
	switch nd.kind { // scalars that need no allocation or sharing
	case nNone:
		return nil, nil
	case nBool:
		return nd.a != 0, nil
	case nInt:
		return nd.a, nil
	case nFloat:
		return bitsFloat(uint64(nd.a)), nil
	}
	isShared := nd.flags&flagShared != 0
	if isShared && nd.slot > 0 {
		if c := &b.cache[nd.slot-1]; c.hasAny {
			return c.anyVal, nil
		}
	}
	if err := b.enter(n); err != nil {
		return nil, err
	}
	v, err := b.buildAny(n, isShared)
	b.leave()
	return v, err
}

// buildAny makes the model value of node n, which is not built yet.
func (b *binder) buildAny(n int32, isShared bool) (any, error) {
	nd := &b.m.nodes[n]
	switch nd.kind {
	case nBig:
		return b.m.bigs[nd.a], nil
	case nComplex:
		return complex(bitsFloat(uint64(nd.a)), bitsFloat(uint64(nd.b))), nil
	case nStr:
		return b.remember(n, isShared, b.stringOf(n)), nil
	case nBytes:
		return b.remember(n, isShared, b.bytesOf(n)), nil
	case nByteArray:
		return b.remember(n, isShared, &ByteArray{Bytes: append([]byte{}, b.m.payload(n)...)}), nil
	case nGlobal:
		return b.m.globals[nd.a], nil
	case nTuple:
		t := make(Tuple, nd.count)
		b.remember(n, isShared, t)
		return t, b.fillItems(n, t)
	case nList:
		l := &List{Items: make([]any, nd.count)}
		b.remember(n, isShared, l)
		return l, b.fillItems(n, l.Items)
	case nDict:
		d := &Dict{}
		b.remember(n, isShared, d)
		return d, b.fillDict(n, d)
	case nSet:
		s := &Set{}
		b.remember(n, isShared, s)
		return s, b.fillMembers(n, &s.t)
	case nFrozenSet:
		f := &FrozenSet{}
		if err := b.fillMembers(n, &f.t); err != nil {
			return nil, err
		}
		return b.remember(n, isShared, f), nil
	case nObject:
		return b.anyObject(n, isShared)
	case nPersistent:
		v, err := b.persistentValue(n)
		return b.remember(n, isShared, v), err
	case nBuffer:
		return b.remember(n, isShared, b.bufferValue(n)), nil
	}
	return nil, b.syntaxAt(n, "unexpected node", nil)
}

// remember caches v as the value of shared node n.
func (b *binder) remember(n int32, isShared bool, v any) any {
	if isShared {
		c := b.slotOf(n)
		c.anyVal, c.hasAny = v, true
	}
	return v
}

// cacheEntry is what one shared node was bound to: its model value, and
// the first typed value made of it.
type cacheEntry struct {
	anyVal any
	hasAny bool
	t      reflect.Type
	v      reflect.Value
}

// slotOf returns the cache entry of node n, giving it one if needed.
func (b *binder) slotOf(n int32) *cacheEntry {
	nd := &b.m.nodes[n]
	if nd.slot == 0 {
		b.cache = append(b.cache, cacheEntry{})
		nd.slot = int32(len(b.cache))
	}
	return &b.cache[nd.slot-1]
}

// fillItems binds the children of n into dst.
func (b *binder) fillItems(n int32, dst []any) error {
	i := 0
	for c := b.m.nodes[n].first; c >= 0; c = b.m.nodes[c].next {
		v, err := b.anyValue(c)
		if err != nil {
			return err
		}
		dst[i] = v
		i++
	}
	return nil
}

func (b *binder) fillDict(n int32, d *Dict) error {
	for k := b.m.nodes[n].first; k >= 0; {
		v := b.m.nodes[k].next
		key, err := b.anyValue(k)
		if err != nil {
			return err
		}
		val, err := b.anyValue(v)
		if err != nil {
			return err
		}
		h, err := b.hashKey(key)
		if err != nil {
			return b.syntaxAt(n, err.Error()[len("pickle: "):]+" as a dict key", err)
		}
		d.t.set(key, val, h)
		k = b.m.nodes[v].next
	}
	return nil
}

// members returns the member nodes of a set or frozenset node.
func (b *binder) members(n int32) []int32 {
	nd := &b.m.nodes[n]
	src, count := n, int64(nd.count)
	if nd.flags&flagFrom != 0 {
		src, count = int32(nd.a), nd.b
	}
	out := make([]int32, 0, count)
	for c := b.m.nodes[src].first; c >= 0 && int64(len(out)) < count; c = b.m.nodes[c].next {
		out = append(out, c)
	}
	return out
}

func (b *binder) fillMembers(n int32, t *table) error {
	for _, c := range b.members(n) {
		v, err := b.anyValue(c)
		if err != nil {
			return err
		}
		h, err := b.hashKey(v)
		if err != nil {
			return b.syntaxAt(n, err.Error()[len("pickle: "):]+" as a set member", err)
		}
		t.set(v, nil, h)
	}
	return nil
}

// hashKey hashes a key; tuples are hashed once per decode each, however
// often they are reached.
func (b *binder) hashKey(k any) (uint64, error) { return b.hasher.hash(k) }

func (b *binder) fillObject(n int32, o *Object) error {
	on := &b.m.objects[b.m.nodes[n].a]
	o.Build = opName(on.build)
	var err error
	if o.Callable, err = b.anyValue(on.callable); err != nil {
		return err
	}
	args, err := b.anyValue(on.args)
	if err != nil {
		return err
	}
	o.Args = args.(Tuple)
	if on.kwargs >= 0 {
		kw, err := b.anyValue(on.kwargs)
		if err != nil {
			return err
		}
		o.Kwargs = kw.(*Dict)
	}
	if len(on.states) > 0 {
		o.HasState = true
		if o.State, err = b.anyValue(on.states[len(on.states)-1]); err != nil {
			return err
		}
	}
	if o.ListItems, err = b.anyValues(on.listItems); err != nil {
		return err
	}
	o.DictItems, err = b.anyValues(on.dictItems)
	return err
}

func (b *binder) anyValues(nodes []int32) ([]any, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	out := make([]any, len(nodes))
	for i, c := range nodes {
		v, err := b.anyValue(c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
