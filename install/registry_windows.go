//go:build windows

package install

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

type systemRegistry struct{}

func hive(root RegRoot) registry.Key {
	if root == HKLM {
		return registry.LOCAL_MACHINE
	}
	return registry.CURRENT_USER
}

func viewFlag(v RegView) uint32 {
	switch v {
	case View32:
		return registry.WOW64_32KEY
	case View64:
		return registry.WOW64_64KEY
	}
	return 0
}

func (systemRegistry) Default(root RegRoot, view RegView, key string) (string, bool, error) {
	k, err := registry.OpenKey(hive(root), key, registry.QUERY_VALUE|viewFlag(view))
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return v, true, nil
}

func (systemRegistry) SetDefault(root RegRoot, key, value string) error {
	k, _, err := registry.CreateKey(hive(root), key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue("", value)
}

func (systemRegistry) DeleteKey(root RegRoot, key string) error {
	err := registry.DeleteKey(hive(root), key)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	return err
}

func (systemRegistry) Integer(root RegRoot, key, name string) (uint64, bool, error) {
	k, err := registry.OpenKey(hive(root), key, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return v, true, nil
}
