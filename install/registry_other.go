//go:build !windows

package install

type systemRegistry struct{}

func (systemRegistry) Default(RegRoot, RegView, string) (string, bool, error) {
	return "", false, ErrUnsupported
}

func (systemRegistry) SetDefault(RegRoot, string, string) error { return ErrUnsupported }

func (systemRegistry) DeleteKey(RegRoot, string) error { return ErrUnsupported }

func (systemRegistry) Integer(RegRoot, string, string) (uint64, bool, error) {
	return 0, false, ErrUnsupported
}
