package portowner

import (
	"net"
	"os"
	"testing"
)

func TestListensSeesOwnListenerAndNotAClosedOne(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	ok, err := Listens(os.Getpid(), port)
	if err != nil || !ok {
		t.Fatalf("Listens(self, %d) = %v, %v; want true", port, ok, err)
	}
	l.Close()
	if ok, err := Listens(os.Getpid(), port); err != nil || ok {
		t.Fatalf("after close: Listens(self, %d) = %v, %v; want false", port, ok, err)
	}
}

func TestListensIsFalseForAnotherProcessesPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// pid 1 never holds this test's listener.
	ok, _ := Listens(1, l.Addr().(*net.TCPAddr).Port)
	if ok {
		t.Fatal("Listens(1, port of this test) = true")
	}
}
