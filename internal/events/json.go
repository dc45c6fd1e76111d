package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// ErrUnknown is wrapped by Unmarshal for an event gospark does not know
// (Spark's SQL or streaming events, a newer version's); readers skip it, as
// Spark's replay does.
var ErrUnknown = errors.New("unknown event")

// Marshal encodes e as one line of an event log (without the newline),
// setting its "Event" field to its name.
func Marshal(e Event) ([]byte, error) {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, fmt.Errorf("events: cannot encode %T", e)
	}
	if f := v.Elem().FieldByName("Event"); f.IsValid() && f.Kind() == reflect.String && f.CanSet() {
		f.SetString(e.Name())
	}
	return json.Marshal(e)
}

func newEvent(name string) Event {
	switch name {
	case NameLogStart:
		return &LogStart{}
	case NameApplicationStart:
		return &ApplicationStart{}
	case NameApplicationEnd:
		return &ApplicationEnd{}
	case NameEnvironmentUpdate:
		return &EnvironmentUpdate{}
	case NameJobStart:
		return &JobStart{}
	case NameJobEnd:
		return &JobEnd{}
	case NameStageSubmitted:
		return &StageSubmitted{}
	case NameStageCompleted:
		return &StageCompleted{}
	case NameTaskStart:
		return &TaskStart{}
	case NameTaskEnd:
		return &TaskEnd{}
	case NameExecutorAdded:
		return &ExecutorAdded{}
	case NameExecutorRemoved:
		return &ExecutorRemoved{}
	case NameBlockManagerAdded:
		return &BlockManagerAdded{}
	case NameBlockManagerGone:
		return &BlockManagerRemoved{}
	case NameBlockUpdated:
		return &BlockUpdated{}
	case NameUnpersistRDD:
		return &UnpersistRDD{}
	}
	return nil
}

// Unmarshal decodes one line of an event log. An event of a kind gospark
// does not know returns an error wrapping ErrUnknown.
func Unmarshal(line []byte) (Event, error) {
	var head struct {
		Event string `json:"Event"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	e := newEvent(head.Event)
	if e == nil {
		return nil, fmt.Errorf("events: %q: %w", head.Event, ErrUnknown)
	}
	if err := json.Unmarshal(line, e); err != nil {
		return nil, fmt.Errorf("events: %s: %w", head.Event, err)
	}
	return e, nil
}
