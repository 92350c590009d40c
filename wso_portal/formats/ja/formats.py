# One format for every time a person reads (the receipt, the mail, the history, the admin): the
# manual's receipt time, with seconds, as in 2026年11月26日 11時05分17秒 (JST).
DATETIME_FORMAT = "Y年m月d日 H時i分s秒"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
