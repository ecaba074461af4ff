package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// entry is one file of an archive or image layer: its name inside, its
// bytes and its mode.
type entry struct {
	name string
	data []byte
	mode int64
}

// readEntries reads NAME=PATH pairs; a file named like a binary is
// executable.
func readEntries(pairs []string) ([]entry, error) {
	var out []entry
	for _, p := range pairs {
		name, path, ok := strings.Cut(p, "=")
		if !ok {
			return nil, errors.New("want NAME=PATH, got " + p)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		mode := int64(0o644)
		if strings.HasSuffix(name, "basiq-mcp") || strings.HasSuffix(name, ".exe") {
			mode = 0o755
		}
		out = append(out, entry{name, data, mode})
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func archiveCmd(args []string) error {
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	epoch := fs.Int64("epoch", 0, "the time every file is dated (the commit's)")
	out := fs.String("out", "", "the archive: .tar.gz or .zip")
	if err := fs.Parse(args); err != nil {
		return err
	}
	entries, err := readEntries(fs.Args())
	if err != nil {
		return err
	}
	at := time.Unix(*epoch, 0).UTC()
	var b []byte
	if strings.HasSuffix(*out, ".zip") {
		b, err = zipOf(entries, at)
	} else {
		b, err = tarGz(entries, at)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

// tarOf is a tar of entries with every field that could differ between
// runs fixed: the date, owner, order.
func tarOf(entries []entry, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), ModTime: at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if strings.HasPrefix(e.name, "home/nonroot") { // the image's user owns its home
			hdr.Uid, hdr.Gid = nonroot, nonroot
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	err := tw.Close()
	return buf.Bytes(), err
}

func tarGz(entries []entry, at time.Time) ([]byte, error) {
	raw, err := tarOf(entries, at)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // no name, no date in the header
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	err = zw.Close()
	return buf.Bytes(), err
}

func zipOf(entries []entry, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: at}
		hdr.SetMode(os.FileMode(e.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return buf.Bytes(), err
}

// rezipCmd rewrites a zip another tool packed (the mcpb CLI dates every
// entry now) with its entries in name order and dated epoch, their content
// and modes as they were, so two releases give the same bytes.
func rezipCmd(args []string) error {
	fs := flag.NewFlagSet("rezip", flag.ContinueOnError)
	epoch := fs.Int64("epoch", 0, "the time every entry is dated (the commit's)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errors.Join(err, errors.New("want rezip -epoch N FILE"))
	}
	file := fs.Arg(0)
	zr, err := zip.OpenReader(file)
	if err != nil {
		return err
	}
	var entries []entry
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			zr.Close()
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			zr.Close()
			return err
		}
		entries = append(entries, entry{name: f.Name, data: data, mode: int64(f.Mode().Perm())})
	}
	zr.Close()
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	b, err := zipOf(entries, time.Unix(*epoch, 0).UTC())
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
