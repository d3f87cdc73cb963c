package models_test

import (
	"strings"
	"testing"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

func TestRedactURIHidesCredentials(t *testing.T) {
	tests := []struct {
		uri    string
		hidden []string
		kept   []string
	}{
		{
			uri:    "mongodb://ringdesk:s3cret-pw@db1:27017,db2:27017/?replicaSet=rs0",
			hidden: []string{"s3cret-pw", "ringdesk:"},
			kept:   []string{"db1:27017,db2:27017", "replicaSet=rs0"},
		},
		{
			uri:    "mongodb+srv://admin:hunter2hunter2@cluster0.example.mongodb.net/",
			hidden: []string{"hunter2hunter2"},
			kept:   []string{"cluster0.example.mongodb.net"},
		},
		{
			uri:    "mongodb://db/?tls=true&tlsCertificateKeyFilePassword=key-pass-value&authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:aws-token-value",
			hidden: []string{"key-pass-value", "aws-token-value"},
			kept:   []string{"tls=true", "authMechanism=MONGODB-AWS"},
		},
		{
			uri:  "mongodb://localhost:27017/",
			kept: []string{"mongodb://localhost:27017/"},
		},
	}
	for _, tt := range tests {
		got := models.RedactURI(tt.uri)
		for _, s := range tt.hidden {
			if strings.Contains(got, s) {
				t.Errorf("RedactURI(%q) = %q, still contains %q", tt.uri, got, s)
			}
		}
		for _, s := range tt.kept {
			if !strings.Contains(got, s) {
				t.Errorf("RedactURI(%q) = %q, lost %q", tt.uri, got, s)
			}
		}
	}
}

func TestStorePing(t *testing.T) {
	s := storetest.New(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestEnsureIndexesIsIdempotent(t *testing.T) {
	s := storetest.New(t) // has run EnsureIndexes once
	for range 2 {
		if err := s.EnsureIndexes(t.Context()); err != nil {
			t.Fatalf("EnsureIndexes again: %v", err)
		}
	}
}
