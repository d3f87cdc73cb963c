package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ringdesk/ringdesk/models"
)

// settings implements models.SettingsRepository: one row per setting,
// its value as JSON.
type settings struct{ e *engine }

const (
	qGetSetting = `SELECT value FROM settings WHERE name = ?`
	qSetSetting = `INSERT INTO settings (name, value, updated_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET value = ?2, updated_at = ?3`
)

// settingHours names the business hours' row.
const settingHours = "hours"

func (s *settings) Hours(ctx context.Context) (models.Hours, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var raw string
	err := s.e.reader().row(ctx, qGetSetting, settingHours).Scan(&raw)
	var h models.Hours
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return h, nil
	case err != nil:
		return h, s.e.fail("read business hours", err)
	}
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		return models.Hours{}, fmt.Errorf("read business hours: %w", err)
	}
	return h, nil
}

func (s *settings) SetHours(ctx context.Context, h models.Hours) error {
	raw, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save business hours: %w", err)
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err = s.e.writer().exec(ctx, qSetSetting, settingHours, string(raw), ms(models.Now()))
	return s.e.fail("save business hours", err)
}
