package notes

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-playground/validator/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Message is what / serves; the bench's one-line source change edits it.
const Message = "hello from a realistic hardened service"

// API is the HTTP side of the service.
type API struct {
	store    *Store
	log      *zap.Logger
	validate *validator.Validate
	limit    *rate.Limiter
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func NewAPI(s *Store, log *zap.Logger, perSecond float64) *API {
	a := &API{store: s, log: log, validate: validator.New(validator.WithRequiredStructEnabled()),
		limit: rate.NewLimiter(rate.Limit(perSecond), int(perSecond)+1), reg: prometheus.NewRegistry()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notes_http_requests_total",
		Help: "HTTP requests by route and status."}, []string{"route", "status"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "notes_http_request_seconds",
		Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	a.reg.MustRegister(a.requests, a.latency, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return a
}

// Routes is the router: health and metrics outside the rate limit, the notes inside it.
func (a *API) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer, a.observe)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	r.Get("/readyz", a.ready)
	r.Handle("/metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	r.Group(func(r chi.Router) {
		r.Use(a.rateLimit, middleware.Timeout(10*time.Second))
		r.Get("/", a.hello)
		r.Get("/notes", a.list)
		r.Post("/notes", a.create)
		r.Get("/notes/{id}", a.get)
	})
	return r
}

func (a *API) hello(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"message": Message, "uid": os.Getuid(), "gid": os.Getgid()})
}

func (a *API) ready(w http.ResponseWriter, r *http.Request) {
	if err := a.store.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit: a number from 1 to 500"})
			return
		}
		limit = n
	}
	ns, err := a.store.List(r.Context(), limit)
	a.reply(w, ns, err)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "id: a number"})
		return
	}
	n, err := a.store.Get(r.Context(), id)
	a.reply(w, n, err)
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var n Note
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := a.validate.Struct(n); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		return
	}
	created, err := a.store.Create(r.Context(), n)
	a.reply(w, created, err)
}

// reply writes v, or the error as a status: 404 for a missing note, 500 (logged, not shown) otherwise.
func (a *API) reply(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		a.log.Error("store", zap.Error(err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func (a *API) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.limit.Allow() {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate limited"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// observe counts and times each request by its route pattern (not its path, which would grow without bound).
func (a *API) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := chi.RouteContext(r.Context()).RoutePattern()
		a.requests.WithLabelValues(route, strconv.Itoa(ww.Status())).Inc()
		a.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		a.log.Debug("request", zap.String("route", route), zap.Int("status", ww.Status()),
			zap.String("id", middleware.GetReqID(r.Context())))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
