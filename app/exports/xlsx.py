"""Streamed .xlsx: rows are written as they come from the database (openpyxl write-only mode), so a large
export never holds the whole list in memory."""
import datetime
import tempfile

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell_value(value):
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    return value


def build(sheet_title: str, headers: list[str], rows, date_columns=()) -> tempfile.SpooledTemporaryFile:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=_cell_value(value))
            if isinstance(value, (datetime.date, datetime.datetime)):
                cell.number_format = "DD/MM/YYYY" if not isinstance(value, datetime.datetime) else "DD/MM/YYYY HH:MM"
            cells.append(cell)
        sheet.append(cells)
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return output


def download(filename: str, sheet_title: str, headers, rows) -> Response:
    output = build(sheet_title, headers, rows)

    def chunks():
        with output:
            while True:
                data = output.read(64 * 1024)
                if not data:
                    break
                yield data

    response = Response(stream_with_context(chunks()), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
