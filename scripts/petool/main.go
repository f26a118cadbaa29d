// Command petool inspects and adjusts the Windows executables `make package`
// builds:
//
//	petool console GUI.exe OUT.exe   copy GUI.exe with its PE subsystem set to console
//	petool show FILE.exe             print "subsystem=gui|console rsrc=yes|no"
//
// streetdesk-cli.exe is StreetDesk.exe with the subsystem field of its PE
// optional header set to console: the same code, built once. That field is
// all Go's -H windowsgui changes in the image (the linker's -mwindows only
// adds import libraries the program already links), and a console-subsystem
// program gets a console, so scripts see its output and exit status.
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "petool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "console":
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		if err := setSubsystem(b, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI); err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		return os.WriteFile(args[2], b, 0o755)
	case len(args) == 2 && args[0] == "show":
		f, err := pe.Open(args[1])
		if err != nil {
			return err
		}
		sub, err := subsystem(f)
		rsrc := "no"
		if s := f.Section(".rsrc"); s != nil && s.Size > 0 {
			rsrc = "yes"
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		name := map[uint16]string{pe.IMAGE_SUBSYSTEM_WINDOWS_GUI: "gui", pe.IMAGE_SUBSYSTEM_WINDOWS_CUI: "console"}[sub]
		if name == "" {
			name = fmt.Sprint(sub)
		}
		fmt.Printf("subsystem=%s rsrc=%s\n", name, rsrc)
		return nil
	}
	return errors.New("usage: petool console GUI.exe OUT.exe | petool show FILE.exe")
}

func subsystem(f *pe.File) (uint16, error) {
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		return h.Subsystem, nil
	case *pe.OptionalHeader32:
		return h.Subsystem, nil
	}
	return 0, errors.New("no optional header")
}

// setSubsystem rewrites the Subsystem field in place. It sits at offset 68
// of the optional header in both PE32 and PE32+; the optional header follows
// the 4-byte "PE\0\0" signature and the 20-byte COFF file header.
func setSubsystem(b []byte, sub uint16) error {
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		return err
	}
	old, err := subsystem(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if old != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI && old != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
		return fmt.Errorf("unexpected subsystem %d", old)
	}
	if len(b) < 0x40 {
		return errors.New("too short")
	}
	off := int(binary.LittleEndian.Uint32(b[0x3c:])) + 4 + 20 + 68
	if off+2 > len(b) || binary.LittleEndian.Uint16(b[off:]) != old {
		return errors.New("subsystem field not where the header says")
	}
	binary.LittleEndian.PutUint16(b[off:], sub)
	return nil
}
