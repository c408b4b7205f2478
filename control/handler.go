package control

import (
	"fmt"
	"iter"
	"reflect"
)

// Handler answers a command that takes no arguments with one value. A
// slice (other than []byte) is answered as a list, an item per element;
// anything else as a single value.
type Handler func() (any, error)

// StreamHandler answers a command: it gets the request's arguments and
// calls emit once per item of a list answer, as it produces them. emit
// writes the item to the connection before it returns (through a buffer of
// a few KiB), so the handler holds at most one item at a time; an error
// from emit means the client has gone, and the handler should stop and
// return it. The handler's own error ends the answer with that error, after
// the items already sent.
type StreamHandler func(args []string, emit func(any) error) error

// ValueHandler answers a command that takes arguments with one value
// (never a list, whatever its type).
type ValueHandler func(args []string) (any, error)

// answer is where a handler's output goes.
type answer interface {
	item(v any) error
	data(v any) error
	flush() error
}

// command is a registered handler of either kind.
type command func(args []string, a answer) error

func plainCommand(h Handler) command {
	return func(args []string, a answer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		v, err := h()
		if err != nil {
			return err
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() == reflect.Uint8 {
			return a.data(v)
		}
		for i := range rv.Len() {
			if err := a.item(rv.Index(i).Interface()); err != nil {
				return err
			}
		}
		return nil
	}
}

func streamCommand(h StreamHandler) command {
	return func(args []string, a answer) error { return h(args, a.item) }
}

// liveCommand is streamCommand with each item sent as soon as it is
// emitted, not when the buffer fills: for answers that trickle (a live
// capture).
func liveCommand(h StreamHandler) command {
	return func(args []string, a answer) error {
		return h(args, func(v any) error {
			if err := a.item(v); err != nil {
				return err
			}
			return a.flush()
		})
	}
}

// Seq answers a command without arguments with the values of seq, an item
// each, written as seq yields them: a table is sent without a copy of it
// ever being made. The iteration stops early when the client goes away.
//
//	srv.Handle("fdb", control.Seq(node.EachFDB)) // EachFDB(yield func(datapath.FDBEntry) bool)
func Seq[T any](seq iter.Seq[T]) StreamHandler {
	return func(args []string, emit func(any) error) error {
		if err := noArgs(args); err != nil {
			return err
		}
		var err error
		for v := range seq {
			if err = emit(v); err != nil {
				break
			}
		}
		return err
	}
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments, got %q", args)
	}
	return nil
}
