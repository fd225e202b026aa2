// Command compat checks that a plugin .so can be loaded by a gateway
// binary: every module linked into both must have the same version, and
// that version must be the one the gateway's go.mod requires. Go refuses
// to open a plugin otherwise ("plugin was built with a different version
// of package ...").
//
// It prints a table of the shared modules whose versions differ (all of
// them with -v) and exits 1 when any differs. `make compat` runs it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"text/tabwriter"
)

func main() {
	pluginPath := flag.String("plugin", "build/jwks-auth.so", "plugin .so to check")
	gatewayPath := flag.String("gateway", "build/tyk", "gateway binary")
	goModPath := flag.String("gomod", "build/tyk-src/go.mod", "the gateway's go.mod")
	verbose := flag.Bool("v", false, "print every shared module, not only those that differ")
	flag.Parse()

	ok, err := check(*pluginPath, *gatewayPath, *goModPath, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(2)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "compat: FAIL: the gateway will refuse this plugin; build it with `make plugin`")
		os.Exit(1)
	}
	fmt.Println("compat: ok: every module the plugin shares with the gateway has the gateway's version")
}

func check(pluginPath, gatewayPath, goModPath string, verbose bool) (bool, error) {
	plugin, err := linkedModules(pluginPath)
	if err != nil {
		return false, err
	}
	gateway, err := linkedModules(gatewayPath)
	if err != nil {
		return false, err
	}
	required, err := requiredModules(goModPath)
	if err != nil {
		return false, err
	}

	shared := make([]string, 0, len(plugin))
	for path := range plugin {
		if _, ok := gateway[path]; ok {
			shared = append(shared, path)
		}
	}
	sort.Strings(shared)

	ok := true
	table := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(table, "MODULE\tPLUGIN\tGATEWAY\tGO.MOD\tSTATUS")
	rows := 0
	for _, path := range shared {
		inGoMod := required[path]
		status := "ok"
		switch {
		case plugin[path] != gateway[path]:
			status = "DIFFERS FROM GATEWAY"
		case inGoMod != "" && inGoMod != gateway[path]:
			status = "DIFFERS FROM GO.MOD"
		}
		if status != "ok" {
			ok = false
		}
		if status == "ok" && !verbose {
			continue
		}
		if inGoMod == "" {
			inGoMod = "-"
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\n", path, plugin[path], gateway[path], inGoMod, status)
		rows++
	}
	if rows > 0 {
		if err := table.Flush(); err != nil {
			return false, err
		}
	}
	fmt.Printf("compat: %d modules linked into both the plugin and the gateway\n", len(shared))
	return ok, nil
}

// linkedModules returns the modules linked into a Go binary, as
// `go version -m` reports them, with replacements applied: a module
// replaced by a local folder gets the version "(devel)".
func linkedModules(binary string) (map[string]string, error) {
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		return nil, fmt.Errorf("go version -m %s: %w", binary, err)
	}

	modules := make(map[string]string)
	var last string
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 3 {
			continue
		}
		switch fields[0] {
		case "dep":
			last = fields[1]
			modules[last] = fields[2]
		case "=>":
			// The line after a dep names its replacement: path and version,
			// or a folder and "(devel)".
			if last != "" {
				modules[last] = "=> " + fields[1] + " " + fields[2]
			}
		}
	}
	return modules, scanner.Err()
}

// requiredModules returns the version a go.mod file selects for each
// module it requires, in the form linkedModules reports: a replace
// directive of that version (or of all versions) wins over the require.
func requiredModules(goModPath string) (map[string]string, error) {
	out, err := exec.Command("go", "mod", "edit", "-json", goModPath).Output()
	if err != nil {
		return nil, fmt.Errorf("go mod edit -json %s: %w", goModPath, err)
	}
	var goMod struct {
		Require []modVersion
		Replace []struct {
			Old modVersion
			New modVersion
		}
	}
	if err := json.Unmarshal(out, &goMod); err != nil {
		return nil, fmt.Errorf("read %s: %w", goModPath, err)
	}
	required := make(map[string]string, len(goMod.Require))
	for _, r := range goMod.Require {
		required[r.Path] = r.Version
	}
	for _, r := range goMod.Replace {
		version, ok := required[r.Old.Path]
		if !ok || (r.Old.Version != "" && r.Old.Version != version) {
			continue
		}
		replacement := r.New.Version
		if replacement == "" {
			replacement = "(devel)"
		}
		required[r.Old.Path] = "=> " + r.New.Path + " " + replacement
	}
	return required, nil
}

type modVersion struct {
	Path    string
	Version string
}
