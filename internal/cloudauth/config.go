package cloudauth

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// Kind names a credential source.
type Kind string

// The credential sources [New] can build.
const (
	// KindAuto picks the first source that is configured, in the order
	// cloud, AK/SK, password, token; with none configured, KindNone.
	KindAuto Kind = "auto"
	// KindNone holds no credentials: every caller must send its own token.
	KindNone Kind = "none"
	// KindToken sends Config.Token ([Token]).
	KindToken Kind = "token"
	// KindPassword gets IAM tokens for Config.IAM ([IAMPassword]).
	KindPassword Kind = "password"
	// KindAKSK signs with Config.AccessKey and SecretKey ([AKSK]).
	KindAKSK Kind = "aksk"
	// KindCloud reads Config.Cloud from clouds.yaml ([LoadCloud]).
	KindCloud Kind = "cloud"
)

// Config gathers every credential setting; [New] uses the part that Kind
// selects. The zero value is KindAuto with nothing configured.
type Config struct {
	// Kind selects the source; empty means KindAuto.
	Kind Kind
	// Token is a static IAM token (KindToken).
	Token string
	// IAM holds the IAM user (KindPassword).
	IAM IAMConfig
	// AccessKey, SecretKey and the optional SecurityToken sign requests
	// (KindAKSK).
	AccessKey, SecretKey, SecurityToken string
	// SigningForm, SigningRegion and SigningService shape the signature
	// (KindAKSK, and KindCloud when the cloud has keys). Empty SigningForm
	// means FormCredential.
	SigningForm                   SigningForm
	SigningRegion, SigningService string
	// Cloud names an entry of clouds.yaml (KindCloud).
	Cloud string
	// CloudsFiles overrides where clouds.yaml and secure.yaml are looked
	// for; nil means [DefaultCloudsFiles].
	CloudsFiles *CloudsFiles
	// Logger receives warnings, such as a clouds.yaml with secrets that
	// others may read. Nil discards them.
	Logger *slog.Logger
	// Clock dates signatures and expires IAM tokens. Nil means the system
	// clock.
	Clock clock.Clock
	// OnTokenRequest, if set, is told of every IAM token request (password
	// credentials): refresh is false for the first token (or one requested
	// after the last expired or was rejected), true when a still usable
	// one is replaced; err is the request's failure, or nil.
	OnTokenRequest func(refresh bool, err error)
}

// String describes the configuration without secrets.
func (c Config) String() string {
	return fmt.Sprintf("credentials config (kind %q, configured %v)", c.Kind, c.configured())
}

// Format prints String whatever the verb.
func (c Config) Format(f fmt.State, _ rune) { redact(f, c.String()) }

// LogValue logs String.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) configured() []Kind {
	var ks []Kind
	if c.Cloud != "" {
		ks = append(ks, KindCloud)
	}
	if c.AccessKey != "" || c.SecretKey != "" {
		ks = append(ks, KindAKSK)
	}
	if c.IAM.Username != "" || c.IAM.Password != "" {
		ks = append(ks, KindPassword)
	}
	if c.Token != "" {
		ks = append(ks, KindToken)
	}
	return ks
}

// IAMEndpoint returns the IAM v3 endpoint cfg names, found as the
// credentials find it: cfg.IAM.Endpoint (--iam-endpoint, OS_AUTH_URL), else
// the endpoint of cfg.Cloud in clouds.yaml ([Cloud.IAMEndpoint]); "" if
// neither names one. It reads clouds.yaml only for a cloud, and needs no
// credentials in it.
func IAMEndpoint(cfg Config) (string, error) {
	if cfg.IAM.Endpoint != "" || cfg.Cloud == "" {
		return cfg.IAM.Endpoint, nil
	}
	files := DefaultCloudsFiles()
	if cfg.CloudsFiles != nil {
		files = *cfg.CloudsFiles
	}
	cloud, err := LoadCloud(files, cfg.Cloud)
	if err != nil {
		return "", err
	}
	return cloud.IAMEndpoint(), nil
}

// New builds the credentials cfg selects. It returns nil credentials (and no
// error) for KindNone. httpClient carries IAM token requests.
func New(cfg Config, httpClient modelarts.HTTPClient) (modelarts.Credentials, error) {
	kind := cfg.Kind
	if kind == "" || kind == KindAuto {
		kind = KindNone
		if ks := cfg.configured(); len(ks) > 0 {
			kind = ks[0]
		}
	}
	switch kind {
	case KindNone:
		return nil, nil
	case KindToken:
		if cfg.Token == "" {
			return nil, errors.New("cloudauth: token credentials need a token (--auth-token, OS_TOKEN)")
		}
		return Token(cfg.Token), nil
	case KindPassword:
		return newIAMPassword(httpClient, cfg.IAM, cfg.Clock, cfg.OnTokenRequest)
	case KindAKSK:
		s, err := NewSigner(cfg.AccessKey, cfg.SecretKey, cfg.SigningForm, cfg.SigningRegion, cfg.SigningService)
		if err != nil {
			return nil, err
		}
		a := NewAKSK(s, cfg.SecurityToken)
		a.clock = clock.Or(cfg.Clock)
		return a, nil
	case KindCloud:
		if cfg.Cloud == "" {
			return nil, errors.New("cloudauth: cloud credentials need a cloud name (--cloud, OS_CLOUD)")
		}
		files := DefaultCloudsFiles()
		if cfg.CloudsFiles != nil {
			files = *cfg.CloudsFiles
		}
		cloud, err := LoadCloud(files, cfg.Cloud)
		if err != nil {
			return nil, err
		}
		if cfg.Logger != nil {
			for _, w := range cloud.Warnings {
				cfg.Logger.Warn(w)
			}
		}
		sub, err := cloud.Config()
		if err != nil {
			return nil, err
		}
		sub.SigningForm, sub.SigningRegion, sub.SigningService = cfg.SigningForm, cfg.SigningRegion, cfg.SigningService
		sub.Logger, sub.Clock, sub.OnTokenRequest = cfg.Logger, cfg.Clock, cfg.OnTokenRequest
		return New(sub, httpClient)
	}
	return nil, fmt.Errorf("cloudauth: unknown credential kind %q (want auto, none, token, password, aksk or cloud)", kind)
}
