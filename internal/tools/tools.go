//go:build tools

package tools

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/lang"
	_ "fyne.io/fyne/v2/test"
	_ "github.com/dsoprea/go-exif/v3"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/google/uuid"
	_ "github.com/tus/tusd/v2/pkg/filelocker"
	_ "github.com/tus/tusd/v2/pkg/filestore"
	_ "github.com/tus/tusd/v2/pkg/handler"
	_ "github.com/xuri/excelize/v2"
	_ "github.com/zalando/go-keyring"
	_ "go.uber.org/goleak"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/image/draw"
	_ "modernc.org/sqlite"
	_ "pgregory.net/rapid"
)
