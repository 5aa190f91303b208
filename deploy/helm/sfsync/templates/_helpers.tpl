{{/* Chart name, overridable. */}}
{{- define "sfsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release-name + chart name, unless overridden. */}}
{{- define "sfsync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sfsync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sfsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sfsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sfsync.labels" -}}
helm.sh/chart: {{ include "sfsync.chart" . }}
{{ include "sfsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: worker
{{- end -}}

{{- define "sfsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sfsync.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding SFSYNC_TOKEN_KEYS and SFSYNC_OAUTH_CLIENT_SECRET. */}}
{{- define "sfsync.secretName" -}}
{{- default (include "sfsync.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "sfsync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
