package client

import "strings"

// lexCheck turns s6-notifyoncheck's -c string into the check's argv.
// s6 hands it to execlineb; images pass plain words ("nc -z localhost
// 8443", "curl -fs http://localhost/health").
//
// TODO(lead): TEMPORARY stub: it splits on blanks. Replace it with package
// execline's Lex (branch execline) so that quotes, escapes and comments
// are read as execlineb reads them.
func lexCheck(s string) ([]string, error) {
	return strings.Fields(s), nil
}
