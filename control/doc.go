// Package control is the control socket: its wire format, the server side
// that hands decoded requests to vigil's supervisor loop, and the client
// side that the vigil command calls. It is a room of its own because both
// boot mode (the server) and client mode speak it, and neither should
// import the other.
//
// The wire format, version 1: one JSON object per line each way. The client
// writes a Request and a newline; the server answers with one Response and a
// newline, and closes the connection. A request longer than MaxRequest, or
// not complete within ReadTimeout, or not valid JSON, gets an error Response
// (when the connection still takes one) and the connection is closed. The
// server owns no service state: every Request is answered by the loop.
package control
