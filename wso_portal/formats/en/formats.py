# The English screens' one format for times (wso_portal/formats/ja): 26 November 2026 11:05:17 JST.
DATETIME_FORMAT = "j F Y H:i:s T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
