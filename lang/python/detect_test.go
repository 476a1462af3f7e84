package python

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const py = "/app/.venv/bin/python"

// init finds how a web app is served and writes an entrypoint that runs in distroless: the server
// as a module of the virtualenv's python, on every interface, with the reason as a comment.
func TestDetectServers(t *testing.T) {
	for name, c := range map[string]struct {
		files      map[string]string
		artifacts  []string
		entrypoint []string
		comment    string
		warning    string
	}{
		"fastapi with uvicorn": {
			files: map[string]string{"requirements.txt": "fastapi==0.115.0\nuvicorn[standard]==0.30.0  # server\n",
				"main.py": "from fastapi import FastAPI\n\napp = FastAPI(title=\"x\")\n", "util.py": "", "tests.py": "", "test_main.py": ""},
			artifacts:  []string{"main.py", "util.py"},
			entrypoint: []string{py, "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "main:app"},
			comment:    "main's FastAPI app with uvicorn, which the project depends on",
		},
		"fastapi[standard] brings uvicorn": {
			files: map[string]string{"pyproject.toml": "[project]\nname = \"svc\"\ndependencies = [\"fastapi[standard]>=0.115\"]\n",
				"svc/__init__.py": "", "svc/api.py": "import fastapi\n\napi: fastapi.FastAPI = fastapi.FastAPI()\n"},
			artifacts:  []string{"svc"},
			entrypoint: []string{py, "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "svc.api:api"},
		},
		"fastapi with no server falls back to the script": {
			files:     map[string]string{"requirements.txt": "fastapi\n", "app.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
			artifacts: []string{"app.py"},
			warning:   "app's FastAPI app is an ASGI app, but the dependencies have no uvicorn or hypercorn",
		},
		"flask factory with gunicorn from uv.lock": {
			files: map[string]string{"pyproject.toml": "[project]\nname = \"web\"\ndependencies = [\"flask\"]\n",
				"uv.lock":         "version = 1\n[[package]]\nname = \"gunicorn\"\nversion = \"23.0.0\"\n[[package]]\nname = \"Flask\"\nversion = \"3.0.0\"\n",
				"web/__init__.py": "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n", "web/views.py": ""},
			artifacts:  []string{"web"},
			entrypoint: []string{py, "-m", "gunicorn", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "web:create_app()"},
			comment:    "its heartbeat files go to /dev/shm",
		},
		"django with gunicorn": {
			files: map[string]string{"requirements.txt": "Django==5.1\ngunicorn==23.0.0\n", "manage.py": "",
				"mysite/__init__.py": "", "mysite/settings.py": "", "mysite/wsgi.py": "application = get_wsgi_application()\n",
				"polls/__init__.py": "", "polls/views.py": ""},
			artifacts:  []string{"mysite", "polls", "manage.py"},
			entrypoint: []string{py, "-m", "gunicorn", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "mysite.wsgi:application"},
			comment:    "Django's mysite.wsgi application with gunicorn",
		},
		"django without a server": {
			files: map[string]string{"requirements.txt": "Django==5.1\n", "manage.py": "", "mysite/__init__.py": "", "mysite/wsgi.py": "",
				"mysite/__main__.py": ""},
			artifacts: []string{"mysite", "manage.py"},
			warning:   "Django's mysite.wsgi application needs a WSGI server, and the dependencies have no gunicorn",
		},
		"src layout fastapi installed by pip": {
			files: map[string]string{"pyproject.toml": "[project]\nname = \"api\"\ndependencies = [\"starlette\", \"uvicorn\"]\n",
				"src/api/__init__.py": "", "src/api/main.py": "from starlette.applications import Starlette\napp = Starlette()\n"},
			artifacts:  []string{"src/api"},
			entrypoint: []string{py, "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "api.main:app"},
		},
		"data directories the code names ship": {
			files: map[string]string{"requirements.txt": "starlette\nuvicorn\n", "static/index.html": "", "templates/a.html": "", "assets/x.css": "",
				"main.py": "from starlette.applications import Starlette\nfrom starlette.staticfiles import StaticFiles\napp = Starlette()\n" +
					"app.mount(\"/\", StaticFiles(directory=\"static\"))\n", "views.py": "TEMPLATES = 'templates'\n"},
			artifacts:  []string{"main.py", "views.py", "static", "templates"},
			entrypoint: []string{py, "-m", "uvicorn", "--host", "0.0.0.0", "--port", "8000", "main:app"},
		},
		"a Procfile's web process": {
			files: map[string]string{"requirements.txt": "Django\ngunicorn\n", "Procfile": "release: python manage.py migrate\nweb: gunicorn mysite.wsgi --bind 0.0.0.0:$PORT --log-file -\n",
				"manage.py": "", "mysite/__init__.py": "", "mysite/wsgi.py": ""},
			artifacts:  []string{"mysite", "manage.py"},
			entrypoint: []string{py, "-m", "gunicorn", "mysite.wsgi", "--bind", "0.0.0.0:8000", "--log-file", "-", "--worker-tmp-dir", "/dev/shm"},
			comment:    "Procfile's web process \"gunicorn mysite.wsgi --bind 0.0.0.0:$PORT --log-file -\"",
		},
		"a Procfile's shell line is left": {
			files:     map[string]string{"requirements.txt": "gunicorn\n", "Procfile": "web: cd app && gunicorn main:app\n", "main.py": ""},
			artifacts: []string{"main.py"},
			warning:   "Procfile's web process \"cd app && gunicorn main:app\" is not a server init can run without a shell",
		},
		"a Procfile's gunicorn --chdir": {
			files: map[string]string{"Pipfile": "", "requirements.txt": "flask\ngunicorn\n", "Procfile": "web: gunicorn wsgi --chdir ./src/\n",
				"src/__init__.py": "", "src/wsgi.py": "from main import app\n", "src/main.py": "from flask import Flask\napp = Flask(__name__)\n"},
			artifacts:  []string{"src"},
			entrypoint: []string{py, "-m", "gunicorn", "wsgi", "--chdir", "./src/", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm"},
			comment:    "Procfile's web process \"gunicorn wsgi --chdir ./src/\"",
		},
		"a Procfile's app init does not find": {
			files:     map[string]string{"requirements.txt": "gunicorn\n", "Procfile": "web: gunicorn --workers 2 nothere:app\n", "main.py": ""},
			artifacts: []string{"main.py"},
			warning:   "Procfile's web process \"gunicorn --workers 2 nothere:app\" serves nothere:app, whose module init does not find",
		},
		"the uv project of testdata": {
			files:     map[string]string{"pyproject.toml": "[project]\nname = \"g\"\n", "uv.lock": "", "greeter/__init__.py": "", "greeter/__main__.py": ""},
			artifacts: []string{"greeter"},
		},
	} {
		det, err := Language{}.Detect(writeProject(t, c.files))
		if err != nil || det == nil {
			t.Errorf("%s: %v %v", name, det, err)
			continue
		}
		if !slices.Equal(det.Artifacts, c.artifacts) || !slices.Equal(det.Entrypoint, c.entrypoint) {
			t.Errorf("%s: artifacts %q entrypoint %q, want %q %q", name, det.Artifacts, det.Entrypoint, c.artifacts, c.entrypoint)
		}
		if c.comment != "" && !strings.Contains(det.Comments["entrypoint"], c.comment) {
			t.Errorf("%s: entrypoint comment %q, want %q in it", name, det.Comments["entrypoint"], c.comment)
		}
		if c.warning != "" && !slices.ContainsFunc(det.Warnings, func(w string) bool { return strings.Contains(w, c.warning) }) {
			t.Errorf("%s: warnings %q, want %q", name, det.Warnings, c.warning)
		}
	}
}

// A project with nothing init can run says what it looked for.
func TestDetectNothingToRun(t *testing.T) {
	_, err := Language{}.Detect(writeProject(t, map[string]string{"requirements.txt": "flask\n", "lib.py": "x = 1\n"}))
	if err == nil || !strings.Contains(err.Error(), "no web app with a server in the dependencies, no package with __main__.py") {
		t.Errorf("error = %v", err)
	}
	if det, err := (Language{}).Detect(t.TempDir()); det != nil || err != nil {
		t.Errorf("an empty directory: %v %v", det, err)
	}
}
