package pickle

import (
	"reflect"
	"strconv"
	"strings"
)

// This file holds what a pickle refers to outside itself: persistent ids
// (Python's persistent_id / persistent_load, for ZODB-style references and
// blobs stored elsewhere) and the out-of-band buffers of protocol 5
// (PickleBuffer, buffer_callback= and buffers=).

// PickleBuffer is a byte buffer that protocol 5 can carry out of band, as
// Python's pickle.PickleBuffer. Encoding one writes it in-band (as bytes
// when ReadOnly, as a bytearray otherwise) unless the BufferCallback option
// takes it out of band; decoding an out-of-band buffer into `any` gives a
// *PickleBuffer whose Data is the caller's buffer itself, not a copy.
type PickleBuffer struct {
	Data     []byte
	ReadOnly bool
}

// PersistentID makes the encoder ask fn about every value it writes, as
// Python's Pickler.persistent_id: when fn returns ok, the value is written
// as a reference to id (with BINPERSID, or PERSID at protocol 0, where id
// must be an ASCII string without a newline) instead of by value (encoding).
func PersistentID(fn func(v any) (id any, ok bool)) Option {
	return optionFunc(func(c *config) error {
		c.persistentID = fn
		return nil
	})
}

// PersistentLoad makes the decoder resolve persistent ids with fn, as
// Python's Unpickler.persistent_load: the value fn returns stands where the
// pickle refers to id (decoding). Without it, a pickle holding a persistent
// id is refused with an error wrapping ErrNoHandler.
func PersistentLoad(fn func(id any) (any, error)) Option {
	return optionFunc(func(c *config) error {
		c.persistentLoad = fn
		return nil
	})
}

// Buffers gives the decoder the out-of-band buffers a protocol 5 pickle
// refers to, in order, as the buffers argument of Python's pickle.loads
// (decoding). The buffers are used in place, not copied: a []byte target or
// a *PickleBuffer result shares memory with them.
func Buffers(bufs ...[]byte) Option {
	return optionFunc(func(c *config) error {
		c.buffers = bufs
		c.hasBuffers = true
		return nil
	})
}

// BufferCallback makes the encoder offer every *PickleBuffer to fn, as the
// buffer_callback argument of Python's pickle.dumps: when fn returns false
// the buffer is written out of band (NEXT_BUFFER, with READONLY_BUFFER for
// a read-only one) and it is fn's job to carry its Data; when fn returns
// true it is written in-band (encoding, protocol 5).
func BufferCallback(fn func(b *PickleBuffer) (inBand bool)) Option {
	return optionFunc(func(c *config) error {
		c.bufferCallback = fn
		return nil
	})
}

var pickleBufferPtrType = reflect.TypeOf((*PickleBuffer)(nil))

// --- decoding ------------------------------------------------------------------

// loadPersid runs PERSID and BINPERSID: the id becomes a persistent node,
// resolved by the PersistentLoad hook when the value is bound.
func (m *machine) loadPersid() error {
	if m.cfg.persistentLoad == nil {
		return m.noHandler("a persistent id, and no PersistentLoad hook is configured")
	}
	var id int32
	if m.op == opPersid {
		line, err := m.readLine(m.cfg.maxStringLen, "MaxStringLen")
		if err != nil {
			return err
		}
		for _, c := range line {
			if c >= 0x80 {
				return m.syntaxError("persistent IDs in protocol 0 must be ASCII strings")
			}
		}
		m.pushSide(nStr, line)
		id, _ = m.pop()
	} else {
		var err error
		if id, err = m.pop(); err != nil {
			return err
		}
	}
	n := m.newNode(nPersistent)
	m.nodes[n].a = int64(m.ref(id))
	m.markHeld(int32(m.nodes[n].a))
	m.push(n)
	return nil
}

// loadNextBuffer runs NEXT_BUFFER: the next of the Buffers.
func (m *machine) loadNextBuffer() error {
	if !m.cfg.hasBuffers {
		return m.noHandler("an out-of-band buffer, and no Buffers were given")
	}
	if m.nextBuffer >= len(m.cfg.buffers) {
		return m.syntaxError("not enough out-of-band buffers")
	}
	n := m.newNode(nBuffer)
	m.nodes[n].a = int64(m.nextBuffer)
	m.nextBuffer++
	m.push(n)
	return nil
}

// bufferNode reports whether node n is an out-of-band buffer and returns a
// read-only copy of it for READONLY_BUFFER.
func (m *machine) readonlyBuffer(n int32) int32 {
	r := m.newNode(nBuffer)
	m.nodes[r].a = m.nodes[n].a
	m.nodes[r].b = 1
	return r
}

// persistentValue resolves a persistent node through the hook.
func (b *binder) persistentValue(n int32) (any, error) {
	id, err := b.anyValue(int32(b.m.nodes[n].a))
	if err != nil {
		return nil, err
	}
	v, err := b.cfg.persistentLoad(id)
	if err != nil {
		return nil, b.syntaxAt(n, "PersistentLoad("+clip(pyRepr(id))+"): "+err.Error(), err)
	}
	return v, nil
}

// bufferValue returns the *PickleBuffer of a buffer node.
func (b *binder) bufferValue(n int32) *PickleBuffer {
	nd := &b.m.nodes[n]
	return &PickleBuffer{Data: b.cfg.buffers[nd.a], ReadOnly: nd.b != 0}
}

// bindSpecial binds a persistent or buffer node into a typed target.
func (b *binder) bindSpecial(n int32, v reflect.Value) error {
	nd := &b.m.nodes[n]
	if nd.kind == nBuffer {
		pb := b.bufferValue(n)
		switch {
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
			v.SetBytes(pb.Data)
			return nil
		case v.Type() == pickleBufferPtrType:
			v.Set(reflect.ValueOf(pb))
			return nil
		case v.Kind() == reflect.Interface && v.NumMethod() == 0:
			v.Set(reflect.ValueOf(pb))
			return nil
		}
		return b.typeError(n, v.Type(), "")
	}
	x, err := b.persistentValue(n)
	if err != nil {
		return err
	}
	return b.assignResult(n, Global{"", "persistent_load"}, x, v)
}

// pyRepr renders a decoded id for an error message.
func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case Tuple:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = pyRepr(it)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return pyTypeName(v)
}

// --- encoding ------------------------------------------------------------------

// withPersistentID wraps an encoder with the PersistentID check.
func withPersistentID(enc encoderFunc) encoderFunc {
	return func(e *encodeState, v reflect.Value) error {
		if e.cfg.persistentID != nil && v.IsValid() && v.CanInterface() {
			if id, ok := e.cfg.persistentID(v.Interface()); ok {
				return e.writePersistentID(id)
			}
		}
		return enc(e, v)
	}
}

// checkPersistentID is the PersistentID check for values written from the
// model; it reports whether v was written as a reference.
func (e *encodeState) checkPersistentID(v any) (bool, error) {
	if e.cfg.persistentID == nil || e.persisting {
		return false, nil
	}
	id, ok := e.cfg.persistentID(v)
	if !ok {
		return false, nil
	}
	return true, e.writePersistentID(id)
}

// writePersistentID writes a reference to id, as save_pers does.
func (e *encodeState) writePersistentID(id any) error {
	e.boundary()
	if e.proto == 0 {
		s, ok := id.(string)
		if !ok || !isASCII(s) || strings.ContainsAny(s, "\n") {
			return &UnsupportedTypeError{GoType: reflect.TypeOf(id), Msg: "persistent IDs in protocol 0 must be ASCII strings without newlines"}
		}
		e.buf = append(e.buf, opPersid)
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '\n')
		return nil
	}
	e.pin(id)           // made for this encode: see pin
	e.persisting = true // the id itself is saved without the check, as save_pers does
	err := e.encodeAny(id)
	e.persisting = false
	if err != nil {
		return withPath(err, ".persistent_id")
	}
	e.op(opBinpersid)
	return nil
}

// writePickleBuffer writes a *PickleBuffer in-band or out of band.
func (e *encodeState) writePickleBuffer(pb *PickleBuffer) error {
	if e.proto < 5 {
		return &UnsupportedTypeError{GoType: pickleBufferPtrType, Msg: "PickleBuffer can only be pickled with protocol >= 5"}
	}
	inBand := e.cfg.bufferCallback == nil || e.cfg.bufferCallback(pb)
	if inBand {
		if pb.ReadOnly {
			return e.writeBytes(pb.Data, false)
		}
		return e.writeByteArray(pb.Data, memoKey{}, false)
	}
	e.op(opNextBuffer)
	if pb.ReadOnly {
		e.op(opReadonlyBuffer)
	}
	return nil
}
