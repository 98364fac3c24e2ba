"""Streamed .xlsx: rows are written as they come from the database (openpyxl write-only mode, lxml), so a large
export never holds the whole list in memory; the workbook goes to a temporary file that is then sent in chunks."""

import datetime
import decimal
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT, DATETIME_FORMAT, EURO_FORMAT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM", '#,##0.00 "€"'


@dataclass
class Sheet:
    title: str
    headers: list
    rows: Iterable
    widths: dict = field(default_factory=dict)  # column letter → width
    bold_last: bool = False  # a totals row


def _converter(sheet):
    """Plain values go to the sheet as they are (fast); dates and booleans need a cell of their own."""

    def convert(value):
        if isinstance(value, str):
            if value.startswith("="):  # text, never a formula (a name typed « =HYPERLINK(…) » stays text)
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                return cell
            return value
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        if isinstance(value, datetime.datetime):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, datetime.date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if isinstance(value, decimal.Decimal):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = EURO_FORMAT
            return cell
        return str(value)

    return convert


def write(output, sheets: list[Sheet]) -> None:
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        for letter, width in spec.widths.items():
            sheet.column_dimensions[letter].width = width
        bold = Font(bold=True)
        header_cells = []
        for title in spec.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        convert = _converter(sheet)
        previous = None  # one row behind, so that the last one can be set in bold
        for row in spec.rows:
            if previous is not None:
                sheet.append([convert(value) for value in previous])
            previous = row
        if previous is not None:
            cells = [convert(value) for value in previous]
            if spec.bold_last:
                cells = [value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value) for value in cells]
                for cell in cells:
                    cell.font = bold
            sheet.append(cells)
    workbook.save(output)


def build_sheets(sheets: list[Sheet]) -> tempfile.SpooledTemporaryFile:
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open, to be streamed
    write(output, sheets)
    output.seek(0)
    return output


def build(sheet_title: str, headers: list[str], rows, date_columns=()) -> tempfile.SpooledTemporaryFile:
    return build_sheets([Sheet(sheet_title, headers, rows)])


def send_file(output, filename: str) -> Response:
    """Send an open file in 64 KiB chunks, as an attachment."""

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


def download(filename: str, sheet_title: str, headers, rows) -> Response:
    return send_file(build(sheet_title, headers, rows), filename)


def download_sheets(filename: str, sheets: list[Sheet]) -> Response:
    return send_file(build_sheets(sheets), filename)
